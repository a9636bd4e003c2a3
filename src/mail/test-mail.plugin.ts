import { ApolloServerPlugin } from '@apollo/server';
import { FragmentDefinitionNode, Kind, SelectionSetNode } from 'graphql';
import { BadInputError } from '../common/errors';

/** Root fields that open SMTP connections on the caller's behalf. */
const OUTBOUND_FIELDS = new Set(['sendTestMail', 'verifySmtpServer']);

/** The outbound root fields an operation selects, aliases and fragments included, in order. */
export function outboundFields(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  seen: ReadonlySet<string> = new Set(),
): string[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return OUTBOUND_FIELDS.has(selection.name.value) ? [selection.name.value] : [];
    if (selection.kind === Kind.INLINE_FRAGMENT) return outboundFields(selection.selectionSet, fragments, seen);
    const fragment = fragments.get(selection.name.value);
    if (!fragment || seen.has(fragment.name.value)) return [];
    return outboundFields(fragment.selectionSet, fragments, new Set([...seen, fragment.name.value]));
  });
}

/**
 * At most one test mail or server check per operation, refused before execution so that nothing is
 * sent: aliases would otherwise multiply the connections one request makes, and a rate limit hit
 * halfway would blank the answer about the mails that did go out. Counted as written, so a
 * second field is refused even when a directive would skip it.
 */
export function oneOutboundPerOperationPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation }) {
          if (!operation || operation.operation !== 'mutation') return;
          const fragments = new Map(
            document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
          );
          const fields = outboundFields(operation.selectionSet, fragments);
          if (fields.length <= 1) return;
          const error = new BadInputError(fields[1], 'At most one sendTestMail or verifySmtpServer per operation; nothing was sent');
          Object.assign(error.extensions, { http: { status: 400 } });
          throw error;
        },
      };
    },
  };
}
