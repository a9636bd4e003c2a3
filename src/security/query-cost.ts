import {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLCompositeType,
  GraphQLField,
  GraphQLIncludeDirective,
  GraphQLSchema,
  GraphQLSkipDirective,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  OperationDefinitionNode,
  SchemaMetaFieldDef,
  SelectionSetNode,
  TypeMetaFieldDef,
} from 'graphql';
import { MAX_CHAIN_LENGTH } from '../mail/resolve-mail-config';
import type { ConfigCounts } from '../snapshot/config-snapshot';

/**
 * How many field values an operation can produce, estimated before it runs.
 *
 * The unit is one field value in the answer, objects and scalars alike; a list counts as its
 * items. A list's length comes from its `first`/`last`/`limit` argument when it has one, else
 * from the configuration's real sizes. Where a relation fans out from distinct parents, the
 * total is the bound (the departments of all 2,000 libraries are the 20,000 there are), but once
 * the parents may repeat (`departments { library { departments } }`: each department's one
 * library) every parent counts its whole list, taken as the largest one: an upper bound that
 * grows with every level, which is what such a query really costs.
 */
export interface CostEstimate {
  cost: number;
  /** False when the answer did not depend on the configuration's sizes (nothing to count). */
  usesCounts: boolean;
}

/** A list's length for one parent, and across all distinct parents when it partitions a table. */
interface Fanout {
  per: number;
  total?: number;
}

type Sizes = (counts: Required<ConfigCounts>) => Fanout;

const partition = (per: number, total: number): Fanout => ({ per, total });

/**
 * Lists computed per object (trace, problems, findings) grow only with their parent, so they
 * count as their usual length rather than their theoretical worst case.
 */
const LIST_SIZES: Record<string, Sizes> = {
  'Query.libraries': (c) => partition(c.libraries, c.libraries),
  'Query.smtpServers': (c) => partition(c.servers, c.servers),
  'Query.settingDefinitions': (c) => partition(c.definitions, c.definitions),
  'Query.settingValues': (c) => partition(c.settingValues, c.settingValues),
  'Library.departments': (c) => partition(c.largestDepartmentList, c.departments),
  // At most one value per definition at a library's or department's scope.
  'Library.settings': (c) => partition(c.definitions, c.settingValues),
  'Department.settings': (c) => partition(c.definitions, c.settingValues),
  'SmtpServer.previousServers': (c) => partition(c.servers, c.servers),
  'SmtpServer.usedByLibraries': (c) => partition(c.libraries, c.libraries),
  'SmtpServer.usedByDepartments': (c) => partition(c.departments, c.departments),
  'SmtpServer.notices': () => ({ per: 3 }),
  'SettingDefinition.allowedScopes': () => ({ per: 3 }),
  'EffectiveMailConfig.servers': (c) => ({ per: c.longestChain }),
  'EffectiveMailConfig.trace': (c) => ({ per: c.longestChain + 6 }),
  'EffectiveMailConfig.problems': () => ({ per: 2 }),
  'EffectiveSetting.trace': () => ({ per: 3 }),
  'TestMailResult.attempts': (c) => ({ per: c.longestChain }),
  // A chain, or the at most 20 servers checkSenderDomain takes.
  'DeliverabilityReport.servers': () => ({ per: 20 }),
  'DeliverabilityReport.findings': () => ({ per: 6 }),
  'SpfServerCheck.addresses': () => ({ per: 4 }),
  'AuditEntry.changes': () => ({ per: 10 }),
  'SmtpServer.dkimSelectors': () => ({ per: 10 }),
  'DeliverabilityReport.dkim': () => ({ per: 20 }),
  'SpfServerCheck.reverseDns': () => ({ per: 4 }),
  'GmailReadiness.requirements': () => ({ per: 5 }),
  // An overview item's problems: at most one per server of its chain and a few of its own.
  'MailHealthItem.problems': (c) => ({ per: c.longestChain + 4 }),
  'MailHealthItem.findings': () => ({ per: 6 }),
  // One row per problem code and severity: the vocabulary's size, not the network's.
  'MailHealthConnection.summary': () => ({ per: 20 }),
};

const PAGE_ARGUMENTS = ['first', 'last', 'limit'];
/**
 * Fields visited before giving up. Only fragments spread under many aliases get there (the field
 * limit, 500 by default, refuses them anyway); they are refused without being expanded further.
 */
const MAX_VISITS = 20_000;

class TooManyFields extends Error {}

/** Reads of the sizes the database can count are noted, so a query that needs none skips counting. */
function recording(counts: ConfigCounts, noteRead: () => void): Required<ConfigCounts> {
  const read = <T>(value: T) => {
    noteRead();
    return value;
  };
  return {
    get libraries() {
      return read(counts.libraries);
    },
    get departments() {
      return read(counts.departments);
    },
    get largestDepartmentList() {
      return read(counts.largestDepartmentList);
    },
    get servers() {
      return read(counts.servers);
    },
    get settingValues() {
      return read(counts.settingValues);
    },
    get definitions() {
      return read(counts.definitions);
    },
    // Unknown without the snapshot: a chain then counts as its limit (D5), which needs no counting.
    get longestChain() {
      return counts.longestChain ?? MAX_CHAIN_LENGTH;
    },
  };
}

const introspectionCache = new WeakMap<GraphQLSchema, Record<string, Fanout>>();

/** Introspection counts by the schema's own size. */
function introspectionSizes(schema: GraphQLSchema): Record<string, Fanout> {
  const known = introspectionCache.get(schema);
  if (known) return known;
  const types = Object.values(schema.getTypeMap());
  const directives = schema.getDirectives();
  const spread = (lengths: number[]): Fanout =>
    partition(
      Math.max(0, ...lengths),
      lengths.reduce((a, b) => a + b, 0),
    );
  const fields = types.flatMap((t) => (isObjectType(t) || isInterfaceType(t) ? Object.values(t.getFields()) : []));
  const args = spread([...fields.map((f) => f.args.length), ...directives.map((d) => d.args.length)]);
  const sizes: Record<string, Fanout> = {
    '__Schema.types': partition(types.length, types.length),
    '__Schema.directives': partition(directives.length, directives.length),
    '__Type.fields': spread(types.map((t) => (isObjectType(t) || isInterfaceType(t) ? Object.keys(t.getFields()).length : 0))),
    '__Type.inputFields': spread(types.map((t) => (isInputObjectType(t) ? Object.keys(t.getFields()).length : 0))),
    '__Type.enumValues': spread(types.map((t) => (isEnumType(t) ? t.getValues().length : 0))),
    '__Type.interfaces': spread(types.map((t) => (isObjectType(t) || isInterfaceType(t) ? t.getInterfaces().length : 0))),
    '__Type.possibleTypes': spread(types.map((t) => (isAbstractType(t) ? schema.getPossibleTypes(t).length : 0))),
    '__Field.args': args,
    '__Directive.args': args,
    '__Directive.locations': { per: 19 },
  };
  introspectionCache.set(schema, sizes);
  return sizes;
}

interface FieldShape {
  list: boolean;
  /** The type whose fields are selected below, when it has any. */
  children: GraphQLCompositeType | null;
  paged: boolean;
}

const shapes = new WeakMap<GraphQLField<unknown, unknown>, FieldShape>();

function shapeOf(definition: GraphQLField<unknown, unknown>): FieldShape {
  let shape = shapes.get(definition);
  if (!shape) {
    const named = getNamedType(definition.type);
    shape = {
      list: isListType(getNullableType(definition.type)),
      children: isCompositeType(named) ? named : null,
      paged: definition.args.some((a) => PAGE_ARGUMENTS.includes(a.name)),
    };
    shapes.set(definition, shape);
  }
  return shape;
}

/** Where the selected objects stand: how many, whether they can repeat, and a page size they pass on. */
interface Parents {
  count: number;
  distinct: boolean;
  page: number | null;
}

interface FieldGroup {
  type: GraphQLCompositeType;
  nodes: FieldNode[];
}

class Estimator {
  cost = 0;
  private visits = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly variables: Record<string, unknown>,
    private readonly counts: Required<ConfigCounts>,
  ) {}

  selections(type: GraphQLCompositeType, sets: readonly SelectionSetNode[], parents: Parents): void {
    const groups = new Map<string, FieldGroup>();
    const visited = new Set<string>();
    for (const set of sets) this.collect(type, set, groups, visited);
    for (const group of groups.values()) this.field(group, parents);
  }

  /** Groups fields by response key, as execution merges them: a field selected twice is answered once. */
  private collect(type: GraphQLCompositeType, set: SelectionSetNode, groups: Map<string, FieldGroup>, visited: Set<string>): void {
    for (const selection of set.selections) {
      if (!this.included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = `${type.name}.${selection.alias?.value ?? selection.name.value}`;
        const group = groups.get(key);
        if (group) group.nodes.push(selection);
        else groups.set(key, { type, nodes: [selection] });
        continue;
      }
      let fragmentSet: SelectionSetNode;
      let condition: string | undefined;
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = this.fragments.get(selection.name.value);
        if (!fragment || visited.has(fragment.name.value)) continue;
        visited.add(fragment.name.value);
        fragmentSet = fragment.selectionSet;
        condition = fragment.typeCondition.name.value;
      } else {
        fragmentSet = selection.selectionSet;
        condition = selection.typeCondition?.name.value;
      }
      const conditionType = condition ? this.schema.getType(condition) : type;
      this.collect(conditionType && isCompositeType(conditionType) ? conditionType : type, fragmentSet, groups, visited);
    }
  }

  private included(node: Parameters<typeof getDirectiveValues>[1]): boolean {
    if (!node.directives?.length) return true;
    try {
      if (getDirectiveValues(GraphQLSkipDirective, node, this.variables)?.if === true) return false;
      return getDirectiveValues(GraphQLIncludeDirective, node, this.variables)?.if !== false;
    } catch {
      return true;
    }
  }

  private field({ type, nodes }: FieldGroup, parents: Parents): void {
    if (++this.visits > MAX_VISITS) throw new TooManyFields();
    const node = nodes[0];
    const definition = this.definition(type, node.name.value);
    if (!definition) {
      this.cost += parents.count; // __typename, or a field validation has already refused
      return;
    }
    const { list, children, paged } = shapeOf(definition);
    const page = paged ? this.pageSize(definition, node) : null;
    const here = list ? this.listOf(`${type.name}.${definition.name}`, page, parents) : { count: parents.count, distinct: parents.count <= 1 };
    this.cost += here.count;
    if (!children || here.count === 0) return;
    const sets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
    if (sets.length > 0) this.selections(children, sets, { ...here, page: list ? null : page });
  }

  private listOf(key: string, page: number | null, parents: Parents): { count: number; distinct: boolean } {
    const sizes = LIST_SIZES[key]?.(this.counts) ?? introspectionSizes(this.schema)[key];
    // An unknown list is as long as a page handed down by its parent, else the largest table.
    const fanout = sizes ?? { per: page ?? parents.page ?? this.largestTable() };
    const per = page === null ? fanout.per : Math.min(page, fanout.per);
    const bounded = parents.distinct && fanout.total !== undefined;
    const count = bounded ? Math.min(parents.count * per, fanout.total as number) : parents.count * per;
    return { count, distinct: bounded || count <= 1 };
  }

  private largestTable(): number {
    const c = this.counts;
    return Math.max(c.libraries, c.departments, c.servers, c.settingValues, c.definitions);
  }

  private definition(type: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
    if (type === this.schema.getQueryType()) {
      if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
      if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
    }
    return isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
  }

  private pageSize(definition: GraphQLField<unknown, unknown>, node: FieldNode): number | null {
    let values: Record<string, unknown>;
    try {
      values = getArgumentValues(definition, node, this.variables);
    } catch {
      return null; // execution refuses the arguments before any list is read
    }
    const sizes = PAGE_ARGUMENTS.map((name) => values[name]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0);
    return sizes.length > 0 ? Math.floor(Math.min(...sizes)) : null;
  }
}

function pickOperation(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName) return operations.find((o) => o.name?.value === operationName);
  return operations.length === 1 ? operations[0] : undefined;
}

/**
 * A pure function of the document, the schema, the configuration's sizes and the variables, so it
 * can be tested against any size of network without building one.
 */
export function estimateCost(
  document: DocumentNode,
  schema: GraphQLSchema,
  counts: ConfigCounts,
  variables: Record<string, unknown> = {},
  operationName?: string | null,
): CostEstimate {
  const operation = pickOperation(document, operationName);
  const root = operation ? schema.getRootType(operation.operation) : undefined;
  if (!operation || !root) return { cost: 0, usesCounts: false };
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  let usesCounts = false;
  const estimator = new Estimator(
    schema,
    fragments,
    coerced.coerced ?? {},
    recording(counts, () => (usesCounts = true)),
  );
  try {
    estimator.selections(root, [operation.selectionSet], { count: 1, distinct: true, page: null });
  } catch (error) {
    if (error instanceof TooManyFields) return { cost: Number.MAX_SAFE_INTEGER, usesCounts };
    throw error;
  }
  return { cost: Math.min(Math.round(estimator.cost), Number.MAX_SAFE_INTEGER), usesCounts };
}
