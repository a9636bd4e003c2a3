import { BadInputError } from './errors';

const COMBINING_MARKS = /[\u0300-\u036f]/g;
/** Letters with a stroke that NFD does not decompose. */
const UNDECOMPOSED: Record<string, string> = { ł: 'l', đ: 'd', ø: 'o', ß: 'ss', æ: 'ae', œ: 'oe', ħ: 'h' };
const UNDECOMPOSED_PATTERN = new RegExp(`[${Object.keys(UNDECOMPOSED).join('')}]`, 'g');

/** Case- and accent-insensitive form of a text for searching: `Główna` and `GLOWNA` fold alike. */
export function foldText(text: string): string {
  return text
    .normalize('NFD')
    .replace(COMBINING_MARKS, '')
    .toLowerCase()
    .replace(UNDECOMPOSED_PATTERN, (letter) => UNDECOMPOSED[letter]);
}

/** The folded fields of a row joined, so one `includes` tests them all (the separator never folds into a search). */
export function searchKeyOf(fields: ReadonlyArray<string | null | undefined>): string {
  return fields
    .filter((f): f is string => !!f)
    .map(foldText)
    .join('\u0000');
}

const MAX_SEARCH = 200;

/** A search term as the rows' keys are folded; null when there is nothing to search for. */
export function searchTerm(search: string | null | undefined): string | null {
  if (search && search.length > MAX_SEARCH) throw new BadInputError('search', `search must be at most ${MAX_SEARCH} characters`);
  const term = search ? foldText(search.trim()).split('\u0000').join('') : '';
  return term === '' ? null : term;
}

const keys = new WeakMap<object, string>();

/** A row's search key, made once per row object (snapshot rows live as long as their snapshot). */
export function cachedSearchKey<T extends object>(row: T, fields: (row: T) => ReadonlyArray<string | null | undefined>): string {
  let key = keys.get(row);
  if (key === undefined) {
    key = searchKeyOf(fields(row));
    keys.set(row, key);
  }
  return key;
}
