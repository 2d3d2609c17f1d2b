/**
 * `npm run bench -- [--enablements N] [--nodes M] [--phase-ms D[,D2]] [--path fleet|direct] [--json FILE]
 * [--chart] [--push] [--floor] [--cluster] [--temporal-address A]`: kdf-lightning against a plain init-and-poll script. See
 * bench/README.md.
 *
 * @module
 */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
