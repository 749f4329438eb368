import { describeBackends } from '../helpers/backends.ts'
import { runPostboxStoreContract } from './postbox-store.contract.ts'

describeBackends('postbox store contract', runPostboxStoreContract)
