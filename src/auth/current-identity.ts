import { createParameterDecorator } from 'type-graphql';
import { AuthContext, requireIdentity } from './access';

/**
 * The caller of an operation, or UNAUTHENTICATED. Parameters are resolved after @Authorized, so
 * the order of the checks stays what the auth checker decides.
 */
export function CurrentIdentity() {
  return createParameterDecorator<AuthContext>(({ context }) => requireIdentity(context.identity));
}
