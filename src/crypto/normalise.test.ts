import { describe, expect, it } from 'vitest'
import { distinctPrefixes, foldText, searchTerms, termLimits, termPrefixes } from './normalise.ts'

describe('search term normalisation', () => {
  it('folds Müller, Mueller, MÜLLER and müller to the same term', () => {
    const variants = ['Müller', 'Mueller', 'MÜLLER', 'müller', 'MUELLER', 'Mu\u0308ller']
    for (const v of variants) expect(searchTerms(v)).toEqual(['mueller'])
  })

  it('folds ß and capital ẞ to ss', () => {
    expect(searchTerms('Straße')).toEqual(['strasse'])
    expect(searchTerms('STRAẞE')).toEqual(['strasse'])
    expect(searchTerms('STRASSE')).toEqual(['strasse'])
  })

  it('folds full-width letters and digits to ASCII', () => {
    expect(searchTerms('ＡＢＣ')).toEqual(['abc'])
    expect(searchTerms('Ｋｕｎｄｅ１２３')).toEqual(['kunde123'])
  })

  it('strips other diacritics after the umlaut step', () => {
    expect(searchTerms('Café Señor Citroën')).toEqual(['cafe', 'senor', 'citroen'])
    expect(foldText('Ä')).toBe('ae')
  })

  it('folds the Greek final sigma as case folding does', () => {
    expect(searchTerms('ΟΔΟΣ οδος')).toEqual(['οδοσ'])
  })

  it('keeps a word with a soft hyphen or zero-width space together', () => {
    expect(searchTerms('Kinder\u00ADgeld Kinder\u200Bgeld')).toEqual(['kindergeld'])
  })

  it('does not depend on a Turkish locale for the dotted capital I', () => {
    expect(searchTerms('İSTANBUL Istanbul')).toEqual(['istanbul'])
  })

  it('splits on anything that is not a letter or digit and deduplicates', () => {
    expect(searchTerms('Kindergeld-Antrag für Kinder; Antrag (2024/07), kinder!')).toEqual([
      'kindergeld',
      'antrag',
      'fuer',
      'kinder',
      '2024',
    ])
  })

  it('drops terms shorter than three characters, so a two-letter query has no terms', () => {
    expect(searchTerms('ab zu 07 Amt')).toEqual(['amt'])
    expect(searchTerms('zu')).toEqual([])
  })

  it('cuts long terms to 32 characters by code points', () => {
    const long = 'Grundsicherungsleistungsbescheidsaenderung'
    expect(searchTerms(long)).toEqual([long.toLowerCase().slice(0, termLimits.maxLength)])
    const astral = '𠀀'.repeat(40)
    const [term] = searchTerms(astral)
    expect(Array.from(term ?? '')).toHaveLength(termLimits.maxLength)
    expect(term?.isWellFormed()).toBe(true)
  })

  it('caps the distinct terms of a huge document', () => {
    const huge = Array.from({ length: 50_000 }, (_, i) => `wort${i}`).join(' ')
    const terms = searchTerms([huge, 'nachzuegler'])
    expect(terms).toHaveLength(termLimits.maxTerms)
    expect(terms).not.toContain('nachzuegler')
  })

  it('lists every prefix from three characters up to the term', () => {
    expect(termPrefixes('kinder')).toEqual(['kin', 'kind', 'kinde', 'kinder'])
    expect(termPrefixes('amt')).toEqual(['amt'])
    expect(termPrefixes('𠀀𠀁𠀂𠀃')).toEqual(['𠀀𠀁𠀂', '𠀀𠀁𠀂𠀃'])
  })

  it('lists each shared prefix of several terms once, the same set as deduplicating all prefixes', () => {
    const terms = [
      'kinder',
      'kind',
      'kindergeld',
      'antrag',
      'ant',
      'zu',
      '𠀀𠀁𠀂x',
      '𠀀𠀁𠀃',
      '𠀀𠀁',
      'ab𠀀cd',
    ]
    const everyPrefix = new Set(terms.flatMap((t) => termPrefixes(t)))
    const listed = distinctPrefixes(terms, 1000)
    expect(listed).toHaveLength(everyPrefix.size)
    expect(new Set(listed)).toEqual(everyPrefix)
  })

  it('stops taking terms once their prefixes would pass the maximum', () => {
    expect(distinctPrefixes(['kinder', 'antrag', 'bescheid'], 9).sort()).toEqual(
      ['ant', 'antr', 'antra', 'antrag', 'kin', 'kind', 'kinde', 'kinder'].sort(),
    )
  })
})
