import { registerEnumType } from 'type-graphql';

export enum ServerHealthStatus {
  UP = 'UP',
  DOWN = 'DOWN',
  UNKNOWN = 'UNKNOWN',
}

registerEnumType(ServerHealthStatus, {
  name: 'ServerHealthStatus',
  description: 'DOWN after two consecutive failed checks, UP after one successful check, UNKNOWN before that',
});
