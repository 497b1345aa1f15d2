// The devtools page: runs once per DevTools window and adds the "Tidings" panel.
chrome.devtools.panels.create('Tidings', '', 'panel.html')
