import type { Readable } from 'node:stream'
import { createPdfDocument, finishWithFooters, PAGE, type PdfDoc } from '../../src/pdf/document.ts'
import {
  addressBlock,
  bodyText,
  CONTENT_WIDTH,
  ensureSpace,
  infoBlock,
  itemList,
  leadLine,
  rule,
  subjectLine,
} from './blocks.ts'
import { formatDate, formatDateTime, formatSize, type PdfLabels, pdfLabels } from './labels.ts'
import type { MessagePdfView, PdfMessage, ThreadPdfView } from './types.ts'

/**
 * The PDF export of a postbox thread (all messages, oldest first) or of one message: office and
 * citizen blocks, date, reference, category, subject, then each message with its attachments and
 * their check state; "Seite x von y" on every page. Returns the PDF as a stream; `collectPdf` makes
 * a Buffer of it. Rendering is synchronous, so a failure throws before the first byte is read.
 */
export function renderThreadPdf(view: ThreadPdfView): Readable {
  return render(view, view.messages, 'thread')
}

/** One message of a thread, with the same header as the thread export. */
export function renderMessagePdf(view: MessagePdfView): Readable {
  return render(view, [view.message], 'message')
}

type Header = Omit<ThreadPdfView, 'messages'>

function render(view: Header, messages: PdfMessage[], kind: 'thread' | 'message'): Readable {
  const t = pdfLabels[view.language]
  const documentName = kind === 'thread' ? t.documentThread : t.documentMessage
  const doc = createPdfDocument({
    title: `${documentName}: ${view.thread.subject}`,
    subject: `${view.office.name} · ${t.reference} ${view.thread.reference} · ${view.thread.categoryLabel}`,
    lang: t.lang,
    createdAt: view.generatedAt,
    keywords: view.thread.reference,
  })
  header(doc, view, t, documentName)
  if (messages.length === 0) leadLine(doc, t.noMessages, '')
  messages.forEach((m, i) => {
    message(doc, view, t, m, kind === 'thread' ? t.messageOf(i + 1, messages.length) : t.documentMessage)
  })
  const created = t.generatedAt(formatDateTime(view.generatedAt, t))
  return finishWithFooters(doc, (page, pages) => [
    `${t.reference} ${view.thread.reference} · ${created}`,
    t.page(page, pages),
  ])
}

function header(doc: PdfDoc, view: Header, t: PdfLabels, documentName: string): void {
  const columnGap = 24
  const left = CONTENT_WIDTH * 0.52
  const officeBottom = addressBlock(doc, {
    x: PAGE.left,
    y: PAGE.top,
    width: left,
    heading: t.office,
    lines: [view.office.name, ...view.office.addressLines],
  })
  const citizenLines = [
    ...(view.citizen.name ? [view.citizen.name] : []),
    `${t.customerNumber}: ${view.citizen.customerNumber}`,
  ]
  const citizenBottom = addressBlock(doc, {
    x: PAGE.left,
    y: officeBottom + 14,
    width: left,
    heading: t.citizen,
    lines: citizenLines,
  })
  const infoBottom = infoBlock(doc, {
    x: PAGE.left + left + columnGap,
    y: PAGE.top + 12,
    width: CONTENT_WIDTH - left - columnGap,
    labelWidth: 62,
    rows: [
      [t.date, formatDate(view.generatedAt, t)],
      [t.reference, view.thread.reference],
      [t.category, view.thread.categoryLabel],
    ],
  })
  doc.y = Math.max(citizenBottom, infoBottom) + 28
  leadLine(doc, documentName, '', 9)
  subjectLine(doc, view.thread.subject, doc.y + 2)
  doc.moveDown(0.8)
}

function message(doc: PdfDoc, view: Header, t: PdfLabels, m: PdfMessage, lead: string): void {
  ensureSpace(doc, 72)
  const sender =
    m.direction === 'office_to_citizen'
      ? view.office.name
      : (view.citizen.name ?? `${t.fromCitizen} ${view.citizen.customerNumber}`)
  leadLine(doc, lead, ` · ${t.from}: ${sender} · ${t.sentAt}: ${formatDateTime(m.sentAt, t)}`)
  rule(doc)
  bodyText(doc, m.body)
  if (m.attachments.length > 0) {
    doc.moveDown(0.8)
    itemList(
      doc,
      t.attachments,
      m.attachments.map((a) => `${a.name} (${formatSize(a.size, t)}) – ${t.state[a.state]}`),
    )
  }
  doc.moveDown(1.5)
}
