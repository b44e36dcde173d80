// Vite's client types: `?url` imports, `import.meta.env`.
/// <reference types="vite/client" />
