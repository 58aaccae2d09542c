/**
 * Turns the ARN that STS returns into the principal that policies name. An assumed-role session
 * `arn:<partition>:sts::<account>:assumed-role/<role>/<session>` becomes the role,
 * `arn:<partition>:iam::<account>:role/<role>`, because anyone who may assume the role can
 * choose any session name. For a role whose ARN matches one of `pinnedSessionRoles`, the session
 * name identifies the person (for example with IAM Identity Center or a trust policy that pins
 * `sts:RoleSessionName`), so the session ARN is kept. Any other ARN, such as an IAM user's, is
 * returned unchanged.
 *
 * NOTE: the role ARN has no path, because the assumed-role ARN does not contain the role's path;
 * a pattern for a role with a path must use `*` in its place or match the path-free form.
 */
export function principalOf(arn: string, pinnedSessionRoles: string[]): string {
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/([^/]+)$/.exec(arn);
  if (!session) return arn;
  const [, partition, account, role] = session;
  const roleArn = `arn:${partition}:iam::${account}:role/${role}`;
  return pinnedSessionRoles.some((pattern) => matchesPattern(roleArn, pattern)) ? arn : roleArn;
}

/**
 * Tells whether an ARN matches a pattern in which `*` stands for any run of characters,
 * slashes and colons included. Every other character matches only itself, case-sensitively.
 */
export function matchesPattern(arn: string, pattern: string): boolean {
  const source = pattern
    .split('*')
    .map((literal) => literal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's').test(arn);
}
