import argon2 from 'argon2'

/**
 * Argon2id with OWASP's password-storage parameters (m = 19 MiB, t = 2, p = 1), which also sit
 * within BSI TR-02102-1's recommendation of Argon2id; measured ≈ 35 ms per hash on this machine.
 */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const

export const hashPassword = (password: string) => argon2.hash(password, ARGON2_OPTIONS)

/** False for a wrong password or a malformed hash; never throws on user input. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password)
  } catch {
    return false
  }
}
