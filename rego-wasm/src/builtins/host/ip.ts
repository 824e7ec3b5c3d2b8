/** IP addresses and CIDR blocks with Go `net` semantics (ParseIP, ParseCIDR, IP.String). */

export interface Ip {
  /** 4 for IPv4 (incl. IPv4-mapped IPv6), 16 for IPv6: Go's `To4() != nil` view. */
  len: 4 | 16;
  value: bigint;
}

export interface Cidr {
  /** Network address (masked). */
  ip: Ip;
  prefix: number;
}

const V4_PART = /^(?:0|[1-9]\d{0,2})$/;

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!V4_PART.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  if (s.includes('%')) return undefined;
  let head = s;
  let tailV4: bigint | undefined;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.slice(lastColon + 1).includes('.')) {
    tailV4 = parseV4(s.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const dbl = head.indexOf('::');
  if (dbl !== head.lastIndexOf('::')) return undefined;
  const parseGroups = (t: string): number[] | undefined => {
    if (t === '') return [];
    const gs = t.split(':');
    const out: number[] = [];
    for (const g of gs) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const left = parseGroups(head.slice(0, dbl));
    const right = parseGroups(head.slice(dbl + 2));
    if (!left || !right || left.length + right.length > 7) return undefined;
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  } else {
    const g = parseGroups(head);
    if (!g || g.length !== 8) return undefined;
    groups = g;
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  if (tailV4 !== undefined) v = (v & ~0xffffffffn) | tailV4;
  return v;
}

/** Go's net.ParseIP: IPv4 dotted decimal (no leading zeros) or IPv6 (no zone). */
export function parseIp(s: string): Ip | undefined {
  if (s.includes(':')) {
    const v = parseV6(s);
    if (v === undefined) return undefined;
    if (v >> 32n === 0xffffn) return { len: 4, value: v & 0xffffffffn };
    return { len: 16, value: v };
  }
  const v = parseV4(s);
  return v === undefined ? undefined : { len: 4, value: v };
}

export function bitsOf(ip: Ip): number {
  return ip.len === 4 ? 32 : 128;
}

export function maskOf(len: 4 | 16, prefix: number): bigint {
  const bits = BigInt(len === 4 ? 32 : 128);
  const host = bits - BigInt(prefix);
  return ((1n << bits) - 1n) ^ ((1n << host) - 1n);
}

/** Go's net.ParseCIDR: "addr/len" → masked network. */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const lenText = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return undefined;
  let prefix = Number(lenText);
  const isV6Text = addr.includes(':');
  let ip: Ip | undefined;
  if (isV6Text) {
    const v = parseV6(addr);
    if (v === undefined || prefix > 128) return undefined;
    ip = { len: 16, value: v };
    // Go views an IPv4-mapped network with a /96+ mask as IPv4.
    if (v >> 32n === 0xffffn && prefix >= 96) {
      ip = { len: 4, value: v & 0xffffffffn };
      prefix -= 96;
    }
  } else {
    const v = parseV4(addr);
    if (v === undefined || prefix > 32) return undefined;
    ip = { len: 4, value: v };
  }
  return { ip: { len: ip.len, value: ip.value & maskOf(ip.len, prefix) }, prefix };
}

export function lastIp(c: Cidr): Ip {
  const bits = BigInt(bitsOf(c.ip));
  const hostMask = (1n << (bits - BigInt(c.prefix))) - 1n;
  return { len: c.ip.len, value: c.ip.value | hostMask };
}

export function cidrContainsIp(c: Cidr, ip: Ip): boolean {
  if (c.ip.len !== ip.len) return false;
  return (ip.value & maskOf(ip.len, c.prefix)) === c.ip.value;
}

/** Go's IP.String(). */
export function formatIp(ip: Ip): string {
  if (ip.len === 4) {
    const v = Number(ip.value);
    return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  // Longest run of at least two zero groups is compressed (first on ties).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.ip)}/${c.prefix}`;
}
