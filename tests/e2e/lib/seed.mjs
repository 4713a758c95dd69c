// Seed data for the browser tests, made through the real API (and psql for
// what only an administrator could do, such as granting roles):
//
//   const leader = await makeAccount(srv, { name: 'Lê Văn Lãnh Đạo', phone: '0911000001' }, 'leader');
//   const call = await openCall(leader.api, srv, { title: 'Chuyển đổi số 2026' });
//   await leader.api.post(`/campaigns/${call.id}/proposals`, { ... });
//
// Also: a small valid PNG made here (no files in the repository), and
// Viet Nam time for <input type="datetime-local">.

import { deflateSync } from 'node:zlib';

export const PASSWORD = 'con mèo ăn cơm lúc 7 giờ';

/** A JSON API client with its own session cookie and CSRF token (Node's fetch keeps no cookies). */
export class ApiClient {
  constructor(baseURL, { now } = {}) {
    this.baseURL = baseURL;
    this.cookie = null;
    this.csrf = null;
    this.now = now; // seconds: sent as X-Sangkien-Test-Now (the server needs SANGKIEN_TEST_CLOCK=1)
  }

  async request(method, path, body, { headers = {}, raw } = {}) {
    const h = { Accept: 'application/json', ...headers };
    if (this.cookie) h.Cookie = this.cookie;
    if (this.csrf && !['GET', 'HEAD'].includes(method)) h['X-CSRF-Token'] = this.csrf;
    if (this.now) h['X-Sangkien-Test-Now'] = String(this.now);
    let payload;
    if (raw !== undefined) payload = raw;
    else if (body !== undefined) {
      h['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${this.baseURL}/api/v1${path}`, { method, headers: h, body: payload });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) {
      const m = /^([^=;]+)=([^;]*)/.exec(setCookie);
      if (m) this.cookie = m[2] ? `${m[1]}=${m[2]}` : null;
    }
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) {
      const e = new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
      e.status = res.status;
      e.data = data;
      throw e;
    }
    if (data && data.csrf_token) this.csrf = data.csrf_token;
    return data;
  }

  get(path) {
    return this.request('GET', path);
  }

  post(path, body = {}) {
    return this.request('POST', path, body);
  }

  /** POST without a body (submit, withdraw). */
  action(path) {
    return this.request('POST', path);
  }

  patch(path, body) {
    return this.request('PATCH', path, body);
  }

  async login(login, password = PASSWORD) {
    await this.post('/sessions', { login, password });
    await this.get('/me'); // the CSRF token
    return this;
  }
}

/**
 * Registers an account (a resident of the seeded ward and group), grants the
 * extra roles with SQL, and logs it in through the API.
 * Resolves to { id, name, phone, api }.
 */
export async function makeAccount(srv, { name, phone, groupId }, ...roles) {
  const anon = new ApiClient(srv.baseURL);
  const { account } = await anon.post('/accounts', {
    login: phone, password: PASSWORD, display_name: name, ward_id: srv.ward.id,
    group_id: groupId || srv.group.id,
  });
  for (const role of roles) await grantRole(srv, account.id, role);
  const api = await new ApiClient(srv.baseURL).login(phone);
  return { id: account.id, name, phone, api };
}

/** Grants role in the seeded ward (what an administrator would do). */
export async function grantRole(srv, accountId, role, wardId = srv.ward.id) {
  await srv.psql(`INSERT INTO role_grants (account_id, ward_id, role) VALUES (${Number(accountId)}, ${Number(wardId)}, '${role}') ON CONFLICT DO NOTHING`);
}

/** Adds a residential group to the seeded ward; resolves to { id, name }. */
export async function addGroup(srv, name) {
  const id = await srv.psql(`INSERT INTO residential_groups (ward_id, name) VALUES (${srv.ward.id}, '${name.replace(/'/g, "''")}') RETURNING id`);
  return { id: Number(id), name };
}

/** "2026-12-01T08:00:00+07:00" for a time in milliseconds. */
export function isoVN(ms) {
  return `${localVN(ms)}:00+07:00`;
}

/** The value of an <input type="datetime-local"> meaning ms in Viet Nam time ("2026-12-01T08:00"). */
export function localVN(ms) {
  const d = new Date(ms + 7 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

/** Creates a call through the API as leader and opens it; resolves to the campaign. */
export async function openCall(leaderApi, srv, { title, opensAt, closesAt, ...rest }) {
  const now = Date.now();
  const { campaign } = await leaderApi.post(`/wards/${srv.ward.id}/campaigns`, {
    title,
    description: 'Phường mời bà con góp ý tưởng đưa công nghệ số vào đời sống tổ dân phố.',
    rules: 'Mỗi đề xuất nêu rõ vấn đề, cách làm, chi phí.\nHạn gửi ghi ở trên.',
    opens_at: isoVN(opensAt ?? now - 3600 * 1000),
    closes_at: isoVN(closesAt ?? now + 30 * 24 * 3600 * 1000),
    ...rest,
  });
  const opened = await leaderApi.post(`/campaigns/${campaign.id}/transitions`, { to: 'open' });
  return opened.campaign;
}

/** A complete proposal body (override what you need). */
export function proposalBody(srv, over = {}) {
  return {
    title: 'Mã QR dán ở nhà văn hoá để đăng ký lịch họp tổ',
    summary: 'Bà con quét mã QR để biết lịch họp và đăng ký tham gia.',
    problem: 'Lịch họp dán trên bảng tin, nhiều người không kịp đọc.',
    model: 'Tổ trưởng cập nhật lịch lên một trang đơn giản; mã QR dán ở nhà văn hoá và cổng chợ.',
    beneficiaries: 'Các hộ trong tổ, nhất là người đi làm xa.',
    households: 150,
    resources: 'Một điện thoại thông minh, giấy in mã QR.',
    cost_vnd: 500000,
    group_id: srv.group.id,
    tags: ['mã QR', 'họp tổ'],
    ...over,
  };
}

// ----- a PNG made from scratch -----

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A valid RGB PNG of width x height: a blue sky over green grass, with a red sun. */
export function makePng(width = 64, height = 48) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3); // filter byte 0
    for (let x = 0; x < width; x++) {
      const sun = (x - width * 0.75) ** 2 + (y - height * 0.25) ** 2 < (height * 0.15) ** 2;
      const [r, g, b] = sun ? [220, 40, 30] : y < height * 0.6 ? [90, 160, 230] : [60, 150, 60];
      row[1 + x * 3] = r;
      row[2 + x * 3] = g;
      row[3 + x * 3] = b;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
