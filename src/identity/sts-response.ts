/** Readers for the two XML documents STS GetCallerIdentity returns; small and strict, without an XML library. */

export interface StsCaller {
  arn: string;
  account: string;
  userId: string;
}

export interface StsError {
  code: string;
  message: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXmlText(text: string): string | undefined {
  if (/[<>]/.test(text)) return undefined;
  let valid = true;
  const decoded = text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (_, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    const character = ENTITIES[entity];
    if (character === undefined) valid = false;
    return character ?? '';
  });
  return valid && !decoded.includes('&') ? decoded : undefined;
}

/** Returns the text of the one `<name>` element inside `xml`, or undefined when it is absent, repeated or not plain text. */
function onlyElementText(xml: string, name: string): string | undefined {
  const pattern = new RegExp(`<${name}>([^<]*)</${name}>`, 'g');
  const matches = [...xml.matchAll(pattern)];
  if (matches.length !== 1) return undefined;
  return decodeXmlText(matches[0]?.[1] ?? '');
}

function onlyElement(xml: string, name: string): string | undefined {
  const pattern = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g');
  const matches = [...xml.matchAll(pattern)];
  return matches.length === 1 ? matches[0]?.[1] : undefined;
}

const ARN = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[\x21-\x7E]{1,2000}$/;
const ACCOUNT = /^\d{12}$/;
const USER_ID = /^[\x21-\x7E]{1,256}$/;

/**
 * Reads Arn, UserId and Account from a GetCallerIdentityResponse. Returns undefined unless each
 * occurs exactly once inside GetCallerIdentityResult and has the form of an IAM ARN, user id and
 * 12-digit account id.
 */
export function parseCallerIdentity(xml: string): StsCaller | undefined {
  if (!/^\s*(<\?xml[^>]*\?>\s*)?<GetCallerIdentityResponse[\s>]/.test(xml)) return undefined;
  const result = onlyElement(xml, 'GetCallerIdentityResult');
  if (result === undefined) return undefined;
  const arn = onlyElementText(result, 'Arn');
  const userId = onlyElementText(result, 'UserId');
  const account = onlyElementText(result, 'Account');
  if (arn === undefined || !ARN.test(arn)) return undefined;
  if (userId === undefined || !USER_ID.test(userId)) return undefined;
  if (account === undefined || !ACCOUNT.test(account)) return undefined;
  return { arn, account, userId };
}

/** Reads Code and Message from an STS `<ErrorResponse>`, or returns undefined when the body is not one. */
export function parseStsError(xml: string): StsError | undefined {
  if (!/^\s*(<\?xml[^>]*\?>\s*)?<ErrorResponse[\s>]/.test(xml)) return undefined;
  const error = onlyElement(xml, 'Error');
  if (error === undefined) return undefined;
  const code = onlyElementText(error, 'Code');
  const message = onlyElementText(error, 'Message');
  if (code === undefined || message === undefined) return undefined;
  return { code, message };
}
