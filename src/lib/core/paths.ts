// Where vk keeps its files: the config dir (config.yaml, saved sessions).
// No other module of vk's own is imported here, so every layer may use it.

import { homedir } from 'node:os';
import { join } from 'node:path';

/** vk's config dir: $XDG_CONFIG_HOME/vk (default ~/.config/vk); saved sessions live under it too. */
export function vkConfigDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'vk');
}
