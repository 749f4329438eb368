import { describe, expect, it } from 'vitest'
import { htmlToReplyText, stripQuotedHistory } from './reply-text.ts'

describe('quoted history', () => {
  it('cuts a Thunderbird-style German attribution and its > quote', () => {
    const text = [
      'Guten Tag,',
      '',
      'der Termin ist bestätigt.',
      '',
      'Am 01.12.2026 um 10:15 schrieb Postkorb:',
      '> Ich habe eine Frage zum Termin.',
      '> Viele Grüße',
    ].join('\n')
    expect(stripQuotedHistory(text)).toBe('Guten Tag,\n\nder Termin ist bestätigt.')
  })

  it('cuts an attribution wrapped over two lines and an English one', () => {
    expect(
      stripQuotedHistory(
        'Ja.\n\nAm 01.12.2026 um 10:15 schrieb Jobcenter Test\nPostkorb <postkorb@example.org>:\n> alt',
      ),
    ).toBe('Ja.')
    expect(
      stripQuotedHistory('Yes.\n\nOn Tue, Dec 1, 2026 at 10:15 AM Postkorb <p@example.org> wrote:\n> old'),
    ).toBe('Yes.')
    expect(
      stripQuotedHistory('Ja.\n\nMax Muster <max@example.org> schrieb am Di., 1. Dez. 2026, 10:15:\n> alt'),
    ).toBe('Ja.')
  })

  it('cuts Outlook separators and Von/Gesendet blocks, German and English', () => {
    const de =
      'Antwort\n\n-----Ursprüngliche Nachricht-----\nVon: Postkorb\nGesendet: Dienstag\nBetreff: x\n\nalter Text'
    expect(stripQuotedHistory(de)).toBe('Antwort')
    const en = 'Answer\r\n\r\n-----Original Message-----\r\nFrom: Postkorb\r\nSent: Tuesday\r\n\r\nold text'
    expect(stripQuotedHistory(en)).toBe('Answer')
    const block =
      'Antwort\n\nVon: Postkorb <p@example.org>\nGesendet: Dienstag, 1. Dezember 2026 10:15\nAn: Team\nBetreff: Frage\n\nalter Text'
    expect(stripQuotedHistory(block)).toBe('Antwort')
    const web =
      'Antwort\n\n________________________________\nFrom: Postkorb <p@example.org>\nSent: Tuesday\n\nold'
    expect(stripQuotedHistory(web)).toBe('Antwort')
  })

  it('keeps a body line that merely starts with "Von:" and text without any history', () => {
    expect(stripQuotedHistory('Von: der Kasse kommt das Geld morgen.\nGruß')).toBe(
      'Von: der Kasse kommt das Geld morgen.\nGruß',
    )
    expect(stripQuotedHistory('  Nur eine Zeile.  ')).toBe('Nur eine Zeile.')
  })

  it('drops interleaved > quotes and keeps the answers between them', () => {
    expect(stripQuotedHistory('> Frage 1?\nAntwort 1\n> Frage 2?\nAntwort 2')).toBe('Antwort 1\nAntwort 2')
  })
})

describe('HTML replies', () => {
  it('turns markup into text without scripts, images, link targets or quoted blocks', () => {
    const html = `<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>
      <p>Guten Tag,</p><p>bitte <a href="https://evil.example/x">hier</a> lesen.<img src="cid:logo" alt="Logo"></p>
      <div class="gmail_quote">On Tue wrote:<blockquote>alt</blockquote></div></body></html>`
    const text = htmlToReplyText(html)
    expect(text).toContain('Guten Tag,')
    expect(text).toContain('bitte hier lesen.')
    expect(text).not.toMatch(/alert|color|evil|Logo|alt\b|wrote/)
  })

  it('cuts Outlook’s HTML reply header and the rule above it', () => {
    const html =
      '<p>Antwort</p><hr><div id="divRplyFwdMsg"><b>Von:</b> Postkorb<br><b>Gesendet:</b> Dienstag</div><div>alt</div>'
    expect(stripQuotedHistory(htmlToReplyText(html))).toBe('Antwort')
  })
})
