import type { NoticeChannel, NoticeDecision } from '../../store/notices.types.ts'
import { ACTIVATED } from '../../store/rows.ts'
import type { Citizen } from '../../store/store.types.ts'

export type ChannelDecision = { channel: NoticeChannel; reason: string; decision: NoticeDecision }

/**
 * Online only when the citizen turned online communication on, the profile is activated by the
 * office and the process is digital; otherwise by post. The reason names every condition that failed.
 */
export function decideChannel(citizen: Citizen | null, digital: boolean): ChannelDecision {
  const activated = citizen !== null && ACTIVATED.includes(citizen.securityLevel)
  const onlineComm = citizen?.onlineComm ?? false
  const failed = [
    ...(activated ? [] : ['no_activated_profile']),
    ...(onlineComm ? [] : ['online_communication_off']),
    ...(digital ? [] : ['process_not_digital']),
  ]
  return {
    channel: failed.length === 0 ? 'online' : 'postal',
    reason: failed.length === 0 ? 'online_only' : failed.join(','),
    decision: {
      onlineComm,
      activated,
      digital,
      consentVersion: onlineComm ? (citizen?.consentVersion ?? null) : null,
      onlineCommChangedAt: citizen?.onlineCommChangedAt?.toISOString() ?? null,
    },
  }
}
