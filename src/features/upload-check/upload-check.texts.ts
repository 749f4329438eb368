import type { Attachment } from '../../store/attachments.types.ts'
import type { TypeReason } from './type-check.ts'

export type Refusal = { code: string; de: string; en: string }

const reasons: Record<TypeReason, { de: string; en: string }> = {
  empty: { de: 'Die Datei ist leer.', en: 'The file is empty.' },
  markup: {
    de: 'Die Datei enthält eine Webseite oder ein Skript, kein Dokument oder Bild.',
    en: 'The file contains a web page or script, not a document or image.',
  },
  unknown_type: {
    de: 'Der Dateityp ließ sich nicht erkennen. Erlaubt sind PDF, JPEG und PNG.',
    en: 'The file type could not be recognised. PDF, JPEG and PNG are allowed.',
  },
  not_allowed: {
    de: 'Dieser Dateityp ist nicht erlaubt. Erlaubt sind PDF, JPEG und PNG.',
    en: 'This file type is not allowed. PDF, JPEG and PNG are allowed.',
  },
  type_mismatch: {
    de: 'Der Inhalt der Datei passt nicht zum angegebenen Dateityp.',
    en: 'The content of the file does not match its declared type.',
  },
  extension_mismatch: {
    de: 'Die Dateiendung passt nicht zum Inhalt der Datei.',
    en: 'The file name extension does not match the content of the file.',
  },
  pdf_no_header: {
    de: 'Die Datei ist kein gültiges PDF (der PDF-Kopf fehlt).',
    en: 'The file is not a valid PDF (the PDF header is missing).',
  },
  pdf_truncated: {
    de: 'Das PDF ist unvollständig (das Dateiende fehlt). Bitte laden Sie es erneut hoch.',
    en: 'The PDF is incomplete (its end is missing). Please upload it again.',
  },
  pdf_active_content: {
    de: 'Das PDF enthält aktive Inhalte (Skripte, Aktionen oder eingebettete Dateien), die wir nicht annehmen.',
    en: 'The PDF contains active content (scripts, actions or embedded files), which we do not accept.',
  },
  pdf_unscannable: {
    de: 'Das PDF ließ sich nicht vollständig prüfen.',
    en: 'The PDF could not be checked completely.',
  },
  image_unreadable: {
    de: 'Das Bild ließ sich nicht lesen.',
    en: 'The image could not be read.',
  },
  image_too_large: {
    de: 'Das Bild hat zu viele Bildpunkte. Bitte verkleinern Sie es.',
    en: 'The image has too many pixels. Please make it smaller.',
  },
  too_large_for_scanner: {
    de: 'Die Datei ist zu groß für die Virenprüfung.',
    en: 'The file is too large for the virus check.',
  },
}

/** Why the citizen's file was refused, in German and English; null for files that were not refused. */
export function refusalOf(a: Pick<Attachment, 'scanState' | 'scanDetail'>): Refusal | null {
  if (a.scanState === 'infected')
    return {
      code: 'infected',
      de: 'In der Datei wurde Schadsoftware gefunden. Sie wurde nicht weitergeleitet.',
      en: 'Malware was found in the file. It was not forwarded.',
    }
  if (a.scanState === 'scan_failed')
    return {
      code: 'scan_failed',
      de: 'Die Datei konnte nicht auf Viren geprüft werden und wurde noch nicht weitergeleitet.',
      en: 'The file could not be checked for viruses and has not been forwarded yet.',
    }
  if (a.scanState !== 'rejected_type') return null
  const code = (a.scanDetail ?? '').split(':')[0] as TypeReason
  const text = reasons[code] ?? reasons.unknown_type
  return { code, ...text }
}

/** The scan_detail stored for a type refusal: the reason code, then an optional machine detail (never content). */
export const typeDetail = (reason: TypeReason, detail?: string) => (detail ? `${reason}:${detail}` : reason)
