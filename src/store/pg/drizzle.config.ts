import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'postgresql',
  schema: [
    './src/store/pg/schema.ts',
    './src/store/pg/schema.identity.ts',
    './src/store/pg/schema.notices.ts',
  ],
  out: './migrations/pg',
})
