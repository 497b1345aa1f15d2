/** CHROMIUM_PATH, else the first system Chromium found, else /usr/bin/chromium. */
export function chromiumPath(): string
/** Launch flags that work here as root with no network and no GPU. */
export const chromiumArgs: string[]
