// Light/dark following DevTools (chrome.devtools.panels.themeName: 'default' | 'dark'), or the
// ?theme= query / system preference when opened as a normal page.
function set(dark: boolean): void {
  document.documentElement.dataset['theme'] = dark ? 'dark' : 'light'
}

export function applyTheme(fromQuery: string | null): void {
  const devtoolsTheme = chrome.devtools?.panels?.themeName
  if (fromQuery === 'dark' || fromQuery === 'light') return set(fromQuery === 'dark')
  if (devtoolsTheme !== undefined) {
    set(devtoolsTheme === 'dark')
    // Chrome 99+: follow live theme switches.
    chrome.devtools.panels.setThemeChangeHandler?.((name: string) => set(name === 'dark'))
    return
  }
  const mq = matchMedia('(prefers-color-scheme: dark)')
  set(mq.matches)
  mq.addEventListener('change', (e) => set(e.matches))
}
