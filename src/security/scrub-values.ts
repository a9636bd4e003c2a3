/**
 * graphql-js quotes the offending value in coercion and validation messages. A client that puts
 * a password in the wrong place would get it echoed back (and into any log of responses), so the
 * values are cut out; the message still says where the problem is and what was expected.
 */
export function scrubValues(message: string): string {
  return (
    message
      .replace(/got invalid value [\s\S]*? at "/, 'got an invalid value at "')
      .replace(/got invalid value [\s\S]*?;/, 'got an invalid value;')
      .replace(/got invalid value [\s\S]*$/, 'got an invalid value.')
      .replace(/(cannot represent [^:]*?value): [\s\S]*$/, '$1.')
      // graphql-scalars' DateTime: "DateTime cannot represent an invalid date-time-string <value>."
      .replace(/(cannot represent an invalid [\w-]+) [\s\S]*$/, '$1.')
      .replace(/(Expected value of type "[^"]+", found) [\s\S]*?(;|\.?$)/, '$1 an invalid value$2')
      .replace(/(Enum "[^"]+" cannot represent non-enum value): [\s\S]*?(\.|$)/, '$1$2')
      .replace(/Value [\s\S]*? does not exist in ("[^"]+" enum)/, 'The value does not exist in $1')
  );
}

/**
 * graphql-js suggests names close to a misspelt one ("Did you mean "password"?") in validation
 * and in variable coercion; Apollo's hideSchemaDetailsFromClientErrors strips them only from
 * validation errors. Without introspection the schema is not for the client to learn, so every
 * message loses them.
 */
export function stripSuggestions(message: string): string {
  return message.replace(/ ?Did you mean [\s\S]*?\?(?=$|\s*;)/g, '');
}

/** The input field a coercion error is about, e.g. "password" for `at "input.password"`. */
export function fieldOfCoercionError(message: string): string | null {
  const at = /at "([^"]+)"/.exec(message);
  if (at)
    return (
      at[1]
        .split('.')
        .pop()
        ?.replace(/\[\d+\]$/, '') ?? null
    );
  const variable = /^Variable "\$(\w+)"/.exec(message);
  return variable ? variable[1] : null;
}
