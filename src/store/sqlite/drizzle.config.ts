import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'sqlite',
  schema: [
    './src/store/sqlite/schema.ts',
    './src/store/sqlite/schema.identity.ts',
    './src/store/sqlite/schema.inbound.ts',
    './src/store/sqlite/schema.notices.ts',
    './src/store/sqlite/schema.routing.ts',
  ],
  out: './migrations/sqlite',
})
