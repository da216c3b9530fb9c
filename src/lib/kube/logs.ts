// Quoting a container's log in an error, as a user would after
// `kubectl logs`: the line that says what went wrong, not the whole log.

/** A quoted log line is cut here: room for a Go error chain with a vCenter URL, yet the message stays a few terminal lines. */
const EXCERPT_CHARS = 200;

/**
 * How many of a driver container's last log lines vk reads for a login
 * failure or a node it could not initialize: minutes of the drivers' retry
 * loops, a few lines each, without fetching a log that ran for days.
 */
export const DRIVER_LOG_TAIL_LINES = 200;

/**
 * The part of a log line worth quoting: without klog's header
 * (`E1202 21:54:12.786984   20100 node_controller.go:247]`), the `err="…"`
 * value when there is one, at most EXCERPT_CHARS characters.
 */
export function logExcerpt(line: string): string {
  let text = line.trim().replace(/^[IWEF]\d{4} [\d:.]+\s+\d+ [^\]]+\] /, '');
  const err = /\berr="((?:[^"\\]|\\.)*)"/.exec(text);
  if (err) text = err[1]!.replace(/\\(.)/g, '$1');
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS - 1)}…` : text;
}

const ERROR_LINE = /\b(error|failed|failure|fatal|panic)\b|^[EF]\d{4} /i;

/** The last line of a log that reads like an error (else its last line), excerpted; undefined for an empty log. */
export function lastErrorLine(log: string): string | undefined {
  const lines = log.split('\n').filter((l) => l.trim() !== '');
  const line = lines.findLast((l) => ERROR_LINE.test(l)) ?? lines.at(-1);
  return line === undefined ? undefined : logExcerpt(line);
}

/**
 * A driver's log line saying vCenter refused its login: the CPI's "Cannot
 * complete login due to an incorrect user name or password", the CSI
 * driver's "failed to login to vc. err: ServerFaultCode: Login failure".
 */
export const LOGIN_FAILURE =
  /cannot complete login|incorrect user name or password|InvalidLogin|NotAuthenticated|login failure/i;
