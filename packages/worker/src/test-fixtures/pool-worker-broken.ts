// Test pool worker that throws while loading: every spawn dies at once.
throw new Error('broken at load')
