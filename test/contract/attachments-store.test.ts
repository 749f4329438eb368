import { describeBackends } from '../helpers/backends.ts'
import { runAttachmentStoreContract } from './attachments-store.contract.ts'

describeBackends('attachment store contract', runAttachmentStoreContract)
