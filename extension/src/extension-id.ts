/** The id pinned by the manifest `key` (sha256 of the public key, first 32 hex digits as a-p). */
export const EXTENSION_ID = 'imlcoekpgobllcicgjekcacieadaledk'
