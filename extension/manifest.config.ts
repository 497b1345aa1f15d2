// MV3 manifest. `key` is the public half of an RSA key generated once for this project; it pins
// the extension id to imlcoekpgobllcicgjekcacieadaledk wherever the unpacked build is loaded (the
// private half is not needed for unpacked loading and is not kept).
import { defineManifest } from '@crxjs/vite-plugin'

export const EXTENSION_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAy6HKvymk7pN7X1d4y8xlGgeQ698ObpAyj2eG1Eb7lLTk55H7p2PNI/5rB1DPbj7RMVaZR84ZeqCTbfd4bTMKVQkbCu5JBffa3zJRjhgKimQC3RD2CUvqxY97Glq8wEvZku3moz4N4RHIAvisrTGGu7fAzA0ejCWg2loGr4g/ufmNEIW78+whxrgjxB3fAIgRddRcWxyJtYjyqs6TUWmGnEQv6DuUnuisKthP4eMOm4wpMevqVc/Tvt1BCrmazxoZUNuar8aRjl6ZaW6A0k9oAxD8FratDo9oQakc0s17k0yco7meJa0KbUFKOo5kxFN1u/cE+wuROjXsoScYGsrQmwIDAQAB'

export default defineManifest({
  manifest_version: 3,
  name: 'Tidings DevTools',
  description: 'Inspect Tidings event buses: live event log, detail, subscriptions, contexts, throughput, publish and replay.',
  version: '0.1.0',
  key: EXTENSION_KEY,
  minimum_chrome_version: '116',
  devtools_page: 'devtools.html',
  background: { service_worker: 'src/background.ts', type: 'module' },
  content_scripts: [
    {
      matches: ['<all_urls>'],
      js: ['src/content.ts'],
      run_at: 'document_start',
      all_frames: false,
    },
  ],
})
