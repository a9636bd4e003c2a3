import { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, FragmentDefinitionNode, GraphQLError, Kind, OperationDefinitionNode, SelectionSetNode } from 'graphql';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  /** Field selections after fragments are expanded. */
  maxFields: number;
  /** When on, operations made only of introspection fields are exempt from depth and aliases. */
  introspection?: boolean;
}

export interface QueryShape {
  depth: number;
  aliases: number;
  fields: number;
}

/** Measures an operation with its fragments expanded; a fragment cycle is cut (validation refuses it anyway). */
export function measureOperation(operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): QueryShape {
  const shape: QueryShape = { depth: 0, aliases: 0, fields: 0 };
  const visit = (set: SelectionSetNode, depth: number, seen: ReadonlySet<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        shape.fields += 1;
        if (selection.alias) shape.aliases += 1;
        shape.depth = Math.max(shape.depth, depth);
        if (selection.selectionSet) visit(selection.selectionSet, depth + 1, seen);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, depth, seen);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) visit(fragment.selectionSet, depth, new Set([...seen, fragment.name.value]));
      }
    }
  };
  visit(operation.selectionSet, 1, new Set());
  return shape;
}

const INTROSPECTION_FIELDS = new Set(['__schema', '__type', '__typename']);

/**
 * True when every root field of the operation, fragments expanded, is `__schema`, `__type` or
 * `__typename`: the fixed shape GraphiQL and code generators send, deeper than any real query.
 */
export function isIntrospectionOnly(operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): boolean {
  const onlyIntrospection = (set: SelectionSetNode, seen: ReadonlySet<string>): boolean =>
    set.selections.every((selection) => {
      if (selection.kind === Kind.FIELD) return INTROSPECTION_FIELDS.has(selection.name.value);
      if (selection.kind === Kind.INLINE_FRAGMENT) return onlyIntrospection(selection.selectionSet, seen);
      const fragment = fragments.get(selection.name.value);
      if (!fragment) return false;
      return seen.has(fragment.name.value) || onlyIntrospection(fragment.selectionSet, new Set([...seen, fragment.name.value]));
    });
  return onlyIntrospection(operation.selectionSet, new Set());
}

function tooLarge(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
}

/** The fragments of a document by name. */
export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  return new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
}

/**
 * Refuses an operation deeper, wider or more aliased than any real client needs. Introspection,
 * when allowed, keeps only the field count here; the cost limit still applies to it.
 */
export function checkQueryShape(limits: QueryLimits, document: DocumentNode, operation: OperationDefinitionNode): void {
  const fragments = fragmentsOf(document);
  const shape = measureOperation(operation, fragments);
  const exempt = limits.introspection === true && isIntrospectionOnly(operation, fragments);
  if (!exempt && shape.depth > limits.maxDepth) throw tooLarge(`The query is ${shape.depth} levels deep; at most ${limits.maxDepth} are allowed`);
  if (!exempt && shape.aliases > limits.maxAliases) throw tooLarge(`The query uses ${shape.aliases} aliases; at most ${limits.maxAliases} are allowed`);
  if (shape.fields > limits.maxFields) throw tooLarge(`The query selects ${shape.fields} fields; at most ${limits.maxFields} are allowed`);
}

/** checkQueryShape for every operation Apollo runs. */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation }) {
          if (operation) checkQueryShape(limits, document, operation);
        },
      };
    },
  };
}
