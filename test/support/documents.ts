/**
 * The GraphQL operations the tests send, as named documents (the name shows in logs and metrics,
 * so a failing test points at its operation). Each record type has one field list; a test that
 * needs more, or fewer fields to keep a statement count exact, keeps its own named document.
 * Deliberately malformed or unusual documents (abuse, fuzzing, canaries, cost) stay in their tests.
 */

const SMTP_SERVER_FIELDS =
  'id name host port username hasPassword hasTlsCa tlsCaSubject allowTls allowSsl requiresAuth connectionTimeoutMs timeoutMs notices version';
const LIBRARY_FIELDS = 'id code name shortName contactEmail version';
const DEPARTMENT_FIELDS = 'id name email version';

export const CREATE_SMTP_SERVER = `mutation CreateSmtpServer($input: SmtpServerInput!) { createSmtpServer(input: $input) { ${SMTP_SERVER_FIELDS} } }`;
export const UPDATE_SMTP_SERVER = `mutation UpdateSmtpServer($id: ID!, $input: SmtpServerUpdateInput!, $expectedVersion: Int) {
  updateSmtpServer(id: $id, input: $input, expectedVersion: $expectedVersion) { ${SMTP_SERVER_FIELDS} }
}`;
export const DELETE_SMTP_SERVER = `mutation DeleteSmtpServer($id: ID!) { deleteSmtpServer(id: $id) }`;
export const VERIFY_SMTP_SERVER = `mutation VerifySmtpServer($id: ID!) {
  verifySmtpServer(id: $id) { ok reachedStage errorCode message durationMs server { id name hasPassword } }
}`;

export const CREATE_LIBRARY = `mutation CreateLibrary($input: LibraryInput!) { createLibrary(input: $input) { ${LIBRARY_FIELDS} } }`;
export const DELETE_LIBRARY = `mutation DeleteLibrary($id: ID!) { deleteLibrary(id: $id) }`;

export const CREATE_DEPARTMENT = `mutation CreateDepartment($input: DepartmentInput!) { createDepartment(input: $input) { ${DEPARTMENT_FIELDS} } }`;
export const DELETE_DEPARTMENT = `mutation DeleteDepartment($id: ID!) { deleteDepartment(id: $id) }`;

export const SET_SETTING = `mutation SetSetting($input: SetSettingInput!) { setSetting(input: $input) { id key scope value } }`;

export const REVERT_CHANGE = `mutation RevertChange($revision: Int!) {
  revertChange(revision: $revision) { entries { id action entityType entityId revision before after } notices }
}`;
