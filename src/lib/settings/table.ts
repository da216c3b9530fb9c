// Every setting vk reads from more than the command line, in one table:
// its flag (the key), the environment variables that set it (VK_* first,
// then govc's GOVC_*), whether vk's config file holds it, whether it belongs
// to one vCenter, and whether it is a secret. The flags' help, the resolver
// (flag, then environment, then the config file), the config file's keys and
// the redaction of secrets are all read from here, so they cannot disagree.

export interface SettingSpec {
  /** The environment variables that set it, the first one set winning. */
  env: readonly string[];
  /** vk init writes it to the config file, which then supplies it. */
  config: boolean;
  /** Belongs to one vCenter: the file's value is not used when the URL in effect is another vCenter's. */
  perVcenter?: boolean;
  /** true or false in the config file. */
  boolean?: boolean;
  /** A password: never shown (its value is redacted from every line vk writes). */
  secret?: boolean;
  /** The URL may carry a user:password@ (whose password is a secret too). */
  userinfo?: boolean;
  /** The flag's help, without the environment (said after it). */
  summary?: string;
  /** Said after the environment in the help, e.g. "default 30". */
  note?: string;
}

export const SETTINGS = {
  url: {
    env: ['VK_URL', 'GOVC_URL'],
    config: true,
    userinfo: true,
    summary: 'vCenter URL: host, host:port or https://user:pass@host/sdk',
  },
  username: { env: ['VK_USERNAME', 'GOVC_USERNAME'], config: true, perVcenter: true, summary: 'vCenter user name' },
  password: {
    env: ['VK_PASSWORD', 'GOVC_PASSWORD'],
    config: true,
    perVcenter: true,
    secret: true,
    summary: 'vCenter password',
  },
  insecure: {
    env: ['VK_INSECURE', 'GOVC_INSECURE'],
    config: true,
    perVcenter: true,
    boolean: true,
    summary: 'Skip TLS certificate verification',
  },
  'ca-file': {
    env: ['VK_TLS_CA_CERTS', 'GOVC_TLS_CA_CERTS'],
    config: true,
    perVcenter: true,
    summary: 'PEM file of CA certificates to trust',
  },
  thumbprint: {
    env: ['VK_THUMBPRINT'],
    config: true,
    perVcenter: true,
    summary: 'Pin the server certificate by its SHA-256 (or SHA-1) thumbprint',
  },
  datacenter: {
    env: ['VK_DATACENTER', 'GOVC_DATACENTER'],
    config: true,
    perVcenter: true,
    summary: 'Datacenter name or path',
  },
  folder: { env: [], config: true, perVcenter: true },
  datastore: { env: [], config: true, perVcenter: true },
  kubeconfig: { env: ['KUBECONFIG'], config: true, summary: 'Path to the kubeconfig file' },
  context: { env: [], config: true, summary: 'Kubeconfig context to use', note: 'default: the current context' },
  'persist-session': {
    env: ['VK_PERSIST_SESSION', 'GOVC_PERSIST_SESSION'],
    config: false,
    summary: 'Keep the session cookie in the config dir and reuse it',
    note: 'default true',
  },
  'request-timeout': {
    env: ['VK_REQUEST_TIMEOUT'],
    config: false,
    summary: 'Seconds before a single vCenter request is abandoned',
    note: 'default 30',
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingKey = keyof typeof SETTINGS;
const spec = (key: SettingKey): SettingSpec => SETTINGS[key];

/** The setting from the environment: its first variable that is set and not empty. */
export function envValue(key: SettingKey, env: NodeJS.ProcessEnv): string | undefined {
  return spec(key)
    .env.map((name) => env[name])
    .find((v) => v !== undefined && v !== '');
}

/** Whether any of the setting's variables is set. */
export const envSet = (key: SettingKey, env: NodeJS.ProcessEnv): boolean => envValue(key, env) !== undefined;

/** The flag's help: "vCenter user name (env VK_USERNAME, GOVC_USERNAME)." */
export function settingHelp(key: SettingKey): string {
  const { env, note, summary } = spec(key);
  const said = [env.length ? `env ${env.join(', ')}` : undefined, note].filter((s) => s !== undefined);
  return `${summary ?? key}${said.length ? ` (${said.join('; ')})` : ''}.`;
}

const keysWhere = (test: (s: SettingSpec) => boolean) =>
  (Object.keys(SETTINGS) as SettingKey[]).filter((k) => test(spec(k)));

/** A key of vk's config file. */
export type ConfigKey = { [K in SettingKey]: (typeof SETTINGS)[K]['config'] extends true ? K : never }[SettingKey];
/** The config file's keys, in the file's order. */
export const CONFIG_KEYS = keysWhere((s) => s.config) as ConfigKey[];
/** The keys that belong to one vCenter. */
export const PER_VCENTER_KEYS = new Set(keysWhere((s) => s.perVcenter === true));
export const BOOLEAN_KEYS = new Set(keysWhere((s) => s.boolean === true));
/** Settings whose values are secrets, and settings whose values may carry one in a user:password@. */
export const SECRET_KEYS = keysWhere((s) => s.secret === true);
export const USERINFO_KEYS = keysWhere((s) => s.userinfo === true);
