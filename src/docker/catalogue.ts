/**
 * The images `docker pull` knows in the lab: real images with their layers' unpacked sizes as
 * `docker history` reports them for these tags (rounded to kB; approximate, see docs/docker.md),
 * so that pulls fill a pool the way they do in the field. nginx and postgres share Debian
 * bookworm's base layer, as they do on Docker Hub. More images can be added with a file,
 * `/etc/docker/lab-images.json`: `{"NAME:TAG": {"layers": [BYTES, ...], "created": "2 weeks ago"}}`.
 */
import { parseGoJson } from './go-json.js';

export interface CatalogueImage {
  readonly ref: string;
  readonly layers: readonly CatalogueLayer[];
  readonly created: string;
  readonly command: string;
}

export interface CatalogueLayer {
  /** What identifies the layer's content (its diff id): equal keys are one shared layer. */
  readonly key: string;
  readonly sizeBytes: number;
}

const DEBIAN_BOOKWORM = { key: 'debian:bookworm-rootfs', sizeBytes: 74_760_000 };

export const BUILTIN_IMAGES: readonly CatalogueImage[] = [
  {
    ref: 'alpine:latest',
    created: '6 weeks ago',
    command: '"/bin/sh"',
    layers: [{ key: 'alpine:3.19-rootfs', sizeBytes: 7_377_000 }],
  },
  {
    ref: 'busybox:latest',
    created: '7 months ago',
    command: '"sh"',
    layers: [{ key: 'busybox:1.36-rootfs', sizeBytes: 4_261_000 }],
  },
  {
    ref: 'ubuntu:latest',
    created: '5 weeks ago',
    command: '"/bin/bash"',
    layers: [{ key: 'ubuntu:22.04-rootfs', sizeBytes: 77_860_000 }],
  },
  {
    ref: 'nginx:latest',
    created: '3 weeks ago',
    command: '"/docker-entrypoint..."',
    layers: [
      DEBIAN_BOOKWORM,
      { key: 'nginx:1.25-packages', sizeBytes: 112_300_000 },
      { key: 'nginx:1.25-entrypoint', sizeBytes: 1_620 },
      { key: 'nginx:1.25-envsubst', sizeBytes: 2_120 },
      { key: 'nginx:1.25-ipv6', sizeBytes: 3_020 },
      { key: 'nginx:1.25-tune', sizeBytes: 4_620 },
      { key: 'nginx:1.25-local-resolvers', sizeBytes: 3_020 },
    ],
  },
  {
    ref: 'postgres:latest',
    created: '2 weeks ago',
    command: '"docker-entrypoint.s..."',
    layers: [
      DEBIAN_BOOKWORM,
      { key: 'postgres:16-user', sizeBytes: 4_148_000 },
      { key: 'postgres:16-gosu', sizeBytes: 2_335_000 },
      { key: 'postgres:16-locales', sizeBytes: 25_420_000 },
      { key: 'postgres:16-libnss', sizeBytes: 1_386_000 },
      { key: 'postgres:16-gpg', sizeBytes: 4_750 },
      { key: 'postgres:16-repo', sizeBytes: 129 },
      { key: 'postgres:16-server', sizeBytes: 340_300_000 },
      { key: 'postgres:16-conf', sizeBytes: 9_840 },
      { key: 'postgres:16-run', sizeBytes: 168 },
      { key: 'postgres:16-entrypoint', sizeBytes: 12_300 },
    ],
  },
];

/** `alpine` -> `alpine:latest`; `library/alpine` and `docker.io/library/alpine` name the same image. */
export function normalizeRef(ref: string): string {
  let r = ref.replace(/^docker\.io\//, '').replace(/^library\//, '');
  if (!/:[^/]+$/.test(r)) r = `${r}:latest`;
  return r;
}

/** The catalogue: the built-in images plus those of the lab's file; a string is the file's error. */
export function catalogue(extraFileText: string | null): readonly CatalogueImage[] | string {
  if (extraFileText === null) return BUILTIN_IMAGES;
  const parsed = parseGoJson(extraFileText);
  if (!parsed.ok) return `/etc/docker/lab-images.json: ${parsed.error}`;
  const v = parsed.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return '/etc/docker/lab-images.json: expected an object of images';
  const extra: CatalogueImage[] = [];
  for (const [name, spec] of Object.entries(v)) {
    if (
      spec === null ||
      typeof spec !== 'object' ||
      Array.isArray(spec) ||
      !Array.isArray(spec.layers) ||
      !spec.layers.every((n) => typeof n === 'number' && n >= 0)
    ) {
      return `/etc/docker/lab-images.json: ${name}: expected {"layers": [BYTES, ...]}`;
    }
    const ref = normalizeRef(name);
    extra.push({
      ref,
      created: typeof spec.created === 'string' ? spec.created : 'About a minute ago',
      command: typeof spec.command === 'string' ? spec.command : '"sh"',
      layers: (spec.layers as number[]).map((n, i) => ({ key: `${ref}#${i}`, sizeBytes: n })),
    });
  }
  return [...BUILTIN_IMAGES.filter((b) => !extra.some((e) => e.ref === b.ref)), ...extra];
}
