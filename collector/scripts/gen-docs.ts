// Writes docs/configuration.md from the config table (src/config.ts).
import { writeFileSync } from 'node:fs';
import { configReference } from '../src/config.ts';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), configReference());
process.stdout.write('wrote docs/configuration.md\n');
