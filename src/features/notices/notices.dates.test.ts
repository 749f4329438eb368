import { describe, expect, it } from 'vitest'
import {
  addOneMonth,
  berlinDay,
  deemedDays,
  deemedDelivery,
  explainDates,
  objectionDeadline,
} from './notices.dates.ts'

describe('deemed delivery', () => {
  it('counts four days after the notification for notices provided from 2025, not moved for weekends', () => {
    // Notification Tuesday 2026-03-03 → deemed Saturday 2026-03-07, which stays a Saturday.
    const at = new Date('2026-03-03T09:00:00Z')
    expect(deemedDelivery({ channel: 'online', providedAt: at, notifiedAt: at, retrievedAt: null })).toEqual({
      deemedOn: '2026-03-07',
      legalBasis: 'sgb10_37_2a_notification',
    })
  })

  it('counts three days for notices provided up to 31 Dec 2024', () => {
    expect(deemedDays('2024-12-31')).toBe(3)
    expect(deemedDays('2025-01-01')).toBe(4)
    expect(deemedDays('2024-12-31', 5)).toBe(5)
    const at = new Date('2024-12-30T10:00:00Z')
    expect(
      deemedDelivery({ channel: 'online', providedAt: at, notifiedAt: at, retrievedAt: null })?.deemedOn,
    ).toBe('2025-01-02')
  })

  it('takes the retrieval day when the notification cannot be shown to have been sent', () => {
    expect(
      deemedDelivery({
        channel: 'online',
        providedAt: new Date('2026-03-03T09:00:00Z'),
        notifiedAt: null,
        retrievedAt: new Date('2026-03-10T22:30:00Z'),
      }),
    ).toEqual({ deemedOn: '2026-03-10', legalBasis: 'sgb10_37_2a_retrieval' })
    expect(
      deemedDelivery({ channel: 'online', providedAt: new Date(), notifiedAt: null, retrievedAt: null }),
    ).toBeNull()
  })

  it('uses the German calendar day: 23:30 UTC on 31 March is already 1 April in Berlin', () => {
    expect(berlinDay(new Date('2026-03-31T23:30:00Z'))).toBe('2026-04-01')
    expect(berlinDay(new Date('2026-01-31T22:59:00Z'))).toBe('2026-01-31')
  })

  it('counts letters from the day they were posted', () => {
    expect(
      deemedDelivery({
        channel: 'postal',
        providedAt: null,
        notifiedAt: null,
        retrievedAt: null,
        postedAt: new Date('2026-05-04T08:00:00Z'),
      }),
    ).toEqual({ deemedOn: '2026-05-08', legalBasis: 'sgb10_37_2_post' })
  })
})

describe('objection deadline', () => {
  it('ends on the same day one month later', () => {
    expect(objectionDeadline('2026-03-10', [])).toEqual({
      deadlineOn: '2026-04-10',
      movedFrom: null,
      movedBecause: null,
    })
  })

  it('ends on the last day of a shorter month: 31 Jan → 28 Feb, and 29 Feb in a leap year', () => {
    expect(addOneMonth('2027-01-31')).toBe('2027-02-28')
    expect(addOneMonth('2028-01-31')).toBe('2028-02-29')
    expect(addOneMonth('2026-03-31')).toBe('2026-04-30')
    expect(addOneMonth('2026-12-15')).toBe('2027-01-15')
    // 2027-02-28 is a Sunday: the deadline moves to Monday 1 March.
    expect(objectionDeadline('2027-01-31', [])).toEqual({
      deadlineOn: '2027-03-01',
      movedFrom: '2027-02-28',
      movedBecause: 'weekend',
    })
    // 2028-02-29 is a Tuesday.
    expect(objectionDeadline('2028-01-31', []).deadlineOn).toBe('2028-02-29')
  })

  it('moves past a Saturday and Sunday to Monday', () => {
    // 2026-04-11 is a Saturday.
    expect(objectionDeadline('2026-03-11', []).deadlineOn).toBe('2026-04-13')
  })

  it('moves past configured public holidays, also when a weekend follows', () => {
    // Easter 2026: Good Friday 3 April, Easter Monday 6 April.
    const holidays = ['2026-04-03', '2026-04-06']
    expect(objectionDeadline('2026-03-03', holidays)).toEqual({
      deadlineOn: '2026-04-07',
      movedFrom: '2026-04-03',
      movedBecause: 'holiday',
    })
    expect(objectionDeadline('2026-03-03', []).deadlineOn).toBe('2026-04-03')
  })

  it('explains the rule in German and English', () => {
    const d = objectionDeadline('2027-01-31', [])
    const text = explainDates('sgb10_37_2a_notification', 4, '2027-01-31', d)
    expect(text.de).toContain('4. Tag nach Absendung der Benachrichtigung')
    expect(text.de).toContain('bis zum 01.03.2027')
    expect(text.de).toContain('28.02.2027 ist ein Samstag oder Sonntag')
    expect(text.en).toContain('until 2027-03-01')
  })
})
