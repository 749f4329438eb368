import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'postgresql',
  schema: [
    './src/store/pg/schema.ts',
    './src/store/pg/schema.identity.ts',
    './src/store/pg/schema.inbound.ts',
    './src/store/pg/schema.notices.ts',
    './src/store/pg/schema.routing.ts',
  ],
  out: './migrations/pg',
})
