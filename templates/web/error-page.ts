import { html } from 'hono/html'
import type { Problem } from '../../src/errors.ts'

const texts: Record<number, { de: string; en: string }> = {
  400: { de: 'Die Anfrage ist fehlerhaft.', en: 'The request is malformed.' },
  401: { de: 'Bitte melden Sie sich an.', en: 'Please sign in.' },
  403: { de: 'Dafür fehlt Ihnen die Berechtigung.', en: 'You are not allowed to do this.' },
  404: { de: 'Diese Seite gibt es nicht.', en: 'This page does not exist.' },
  413: { de: 'Die Datei oder Anfrage ist zu groß.', en: 'The file or request is too large.' },
  422: { de: 'Einige Angaben sind ungültig.', en: 'Some entries are invalid.' },
  429: { de: 'Zu viele Versuche. Bitte warten Sie kurz.', en: 'Too many attempts. Please wait a moment.' },
  503: {
    de: 'Der Dienst ist vorübergehend nicht erreichbar.',
    en: 'The service is temporarily unavailable.',
  },
}
const fallback = { de: 'Es ist ein Fehler aufgetreten.', en: 'Something went wrong.' }

/** A plain error page for people: German first, English second, with the request id for support. */
export function errorPage(p: Problem) {
  const t = texts[p.status] ?? fallback
  return html`<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${p.status} – Postkorb</title></head>
<body>
<main>
<h1>${t.de}</h1>
<p lang="en">${t.en}</p>
${p.detail ? html`<p>${p.detail}</p>` : ''}
<p><small>Fehlercode / error code: ${p.code}${p.requestId ? html` · Anfrage / request: ${p.requestId}` : ''}</small></p>
<p><a href="/">Zur Startseite / Home</a></p>
</main>
</body>
</html>`
}
