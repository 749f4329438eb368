/**
 * The legal dates of a notice, as pure functions over calendar days in Europe/Berlin (YYYY-MM-DD):
 * deemed delivery (§ 37 Abs. 2 / 2a SGB X) and the objection deadline (§ 84 SGG, counted as § 64 SGG says).
 */

export type Day = string
export type LegalBasis = 'sgb10_37_2a_notification' | 'sgb10_37_2a_retrieval' | 'sgb10_37_2_post'

const berlin = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Berlin',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
})

/** The calendar day of an instant in Germany. */
export const berlinDay = (at: Date): Day => berlin.format(at)

const parse = (day: Day) => {
  const [y, m, d] = day.split('-').map(Number)
  return { y: y ?? 0, m: m ?? 1, d: d ?? 1 }
}
const fmt = (date: Date): Day => date.toISOString().slice(0, 10)

export function addDays(day: Day, days: number): Day {
  const { y, m, d } = parse(day)
  return fmt(new Date(Date.UTC(y, m - 1, d + days)))
}

/** Saturday or Sunday. */
export function isWeekend(day: Day): boolean {
  const { y, m, d } = parse(day)
  const wd = new Date(Date.UTC(y, m - 1, d)).getUTCDay()
  return wd === 0 || wd === 6
}

/** Same day number one month later; the month's last day when it has no such day (31 Jan → 28/29 Feb). */
export function addOneMonth(day: Day): Day {
  const { y, m, d } = parse(day)
  const lastOfNext = new Date(Date.UTC(y, m + 1, 0)).getUTCDate()
  return fmt(new Date(Date.UTC(y, m, Math.min(d, lastOfNext))))
}

// The 2024 Postal Law Modernisation Act moved the fiction from the third to the fourth day from 2025.
const FOURTH_DAY_FROM: Day = '2025-01-01'

/** Days until deemed delivery: the configured number, else 4 for notices provided from 2025 on, else 3. */
export const deemedDays = (providedOn: Day, configured?: number): number =>
  configured ?? (providedOn >= FOURTH_DAY_FROM ? 4 : 3)

export type DeemedInput = {
  channel: 'online' | 'postal'
  providedAt: Date | null
  /** When the SMTP server accepted the notification; null when it cannot be shown to have gone out. */
  notifiedAt: Date | null
  retrievedAt: Date | null
  /** Letters: when the print service took them over (handed to the post). */
  postedAt?: Date | null
  configuredDays?: number
}

export type Deemed = { deemedOn: Day; legalBasis: LegalBasis }

/**
 * The day the notice counts as delivered, not moved for weekends or holidays. Online: the n-th day
 * after the notification was sent; when it cannot be shown to have been sent, the day of retrieval.
 */
export function deemedDelivery(i: DeemedInput): Deemed | null {
  if (i.channel === 'postal') {
    if (!i.postedAt) return null
    const on = berlinDay(i.postedAt)
    return { deemedOn: addDays(on, deemedDays(on, i.configuredDays)), legalBasis: 'sgb10_37_2_post' }
  }
  if (i.notifiedAt && i.providedAt) {
    const days = deemedDays(berlinDay(i.providedAt), i.configuredDays)
    return { deemedOn: addDays(berlinDay(i.notifiedAt), days), legalBasis: 'sgb10_37_2a_notification' }
  }
  if (i.retrievedAt) return { deemedOn: berlinDay(i.retrievedAt), legalBasis: 'sgb10_37_2a_retrieval' }
  return null
}

export type Deadline = { deadlineOn: Day; movedFrom: Day | null; movedBecause: 'weekend' | 'holiday' | null }

/** One month after deemed delivery, moved to the next working day past weekends and the given holidays. */
export function objectionDeadline(deemedOn: Day, holidays: readonly Day[]): Deadline {
  const nominal = addOneMonth(deemedOn)
  const off = new Set(holidays)
  let day = nominal
  let because: Deadline['movedBecause'] = null
  while (isWeekend(day) || off.has(day)) {
    because ??= isWeekend(day) ? 'weekend' : 'holiday'
    day = addDays(day, 1)
  }
  return { deadlineOn: day, movedFrom: day === nominal ? null : nominal, movedBecause: because }
}

const de = (day: Day) => {
  const { y, m, d } = parse(day)
  return `${String(d).padStart(2, '0')}.${String(m).padStart(2, '0')}.${y}`
}

const BASIS = {
  sgb10_37_2a_notification: {
    de: (n: number) =>
      `§ 37 Abs. 2a SGB X: Der Bescheid gilt am ${n}. Tag nach Absendung der Benachrichtigung über die Bereitstellung als bekannt gegeben.`,
    en: (n: number) =>
      `§ 37(2a) SGB X: the notice counts as delivered on the ${n}th day after the notification of its provision was sent.`,
  },
  sgb10_37_2a_retrieval: {
    de: () =>
      '§ 37 Abs. 2a SGB X: Der Zugang der Benachrichtigung ist nicht nachgewiesen; der Bescheid gilt am Tag des Abrufs als bekannt gegeben.',
    en: () =>
      '§ 37(2a) SGB X: the notification cannot be shown to have arrived, so the notice counts as delivered on the day it was retrieved.',
  },
  sgb10_37_2_post: {
    de: (n: number) =>
      `§ 37 Abs. 2 SGB X: Der Brief gilt am ${n}. Tag nach Aufgabe zur Post als bekannt gegeben.`,
    en: (n: number) => `§ 37(2) SGB X: the letter counts as delivered on the ${n}th day after it was posted.`,
  },
} as const

/** The rule behind the dates in German and English, for the citizen and the office. */
export function explainDates(basis: LegalBasis, days: number, deemedOn: Day, deadline: Deadline) {
  const moved = (lang: 'de' | 'en') => {
    if (!deadline.movedFrom) return ''
    if (lang === 'de')
      return ` Der ${de(deadline.movedFrom)} ist ${deadline.movedBecause === 'holiday' ? 'ein Feiertag' : 'ein Samstag oder Sonntag'}; die Frist endet deshalb am nächsten Werktag.`
    return ` ${deadline.movedFrom} is ${deadline.movedBecause === 'holiday' ? 'a public holiday' : 'a Saturday or Sunday'}, so the deadline ends on the next working day.`
  }
  return {
    de: `${BASIS[basis].de(days)} Bekanntgabe: ${de(deemedOn)}. Widerspruch ist innerhalb eines Monats nach Bekanntgabe möglich (§ 84 SGG), also bis zum ${de(deadline.deadlineOn)}.${moved('de')}`,
    en: `${BASIS[basis].en(days)} Delivered: ${deemedOn}. An objection is possible within one month of delivery (§ 84 SGG), so until ${deadline.deadlineOn}.${moved('en')}`,
  }
}
