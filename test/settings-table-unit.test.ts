// The settings table drives the flags' help, the environment fallbacks and
// the config file's keys: what a user reads in --help is what vk does.
import { describe, expect, it } from 'vitest';
import { vsphereFlags } from '../src/lib/cli/flags.js';
import { CONFIG_KEYS, envValue, PER_VCENTER_KEYS, SECRET_KEYS, settingHelp } from '../src/lib/settings/table.js';
import { resolveVsphereSettings } from '../src/lib/settings/vsphere.js';

describe('settings table', () => {
  it('names in the help the variables the resolver reads, VK_* before GOVC_*', () => {
    expect(vsphereFlags.username.summary).toBe('vCenter user name (env VK_USERNAME, GOVC_USERNAME).');
    expect(settingHelp('request-timeout')).toBe(
      'Seconds before a single vCenter request is abandoned (env VK_REQUEST_TIMEOUT; default 30).',
    );
    const env = { GOVC_USERNAME: 'govc', VK_USERNAME: 'vk', GOVC_DATACENTER: 'DC1', VK_DATACENTER: '' };
    expect(envValue('username', env)).toBe('vk');
    expect(resolveVsphereSettings({}, env)).toMatchObject({ username: 'vk', datacenter: 'DC1' });
    expect(resolveVsphereSettings({ username: 'flag' }, env).username).toBe('flag');
  });

  it('the config file holds the connection, inventory and kubeconfig settings; the password is its only secret', () => {
    expect(CONFIG_KEYS).toEqual([
      'url',
      'username',
      'password',
      'insecure',
      'ca-file',
      'thumbprint',
      'datacenter',
      'folder',
      'datastore',
      'kubeconfig',
      'context',
    ]);
    expect(PER_VCENTER_KEYS.has('url')).toBe(false);
    expect(PER_VCENTER_KEYS.has('password')).toBe(true);
    expect(SECRET_KEYS).toEqual(['password']);
  });
});
