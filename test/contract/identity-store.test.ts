import { describeBackends } from '../helpers/backends.ts'
import { runIdentityStoreContract } from './identity-store.contract.ts'

describeBackends('identity store contract', runIdentityStoreContract)
