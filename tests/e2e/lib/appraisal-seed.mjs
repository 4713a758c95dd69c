// Seed for the appraisal tests: a call with three submitted proposals, closed
// (the server's test clock moved past the deadline) and in appraisal, with two
// panelists named and every proposal assigned to both.
//
//   const s = await seedAppraisal(srv);
//   // s.leader, s.panelists [a, b], s.call, s.proposals [p1, p2, p3], s.now (seconds)
//
// With { photo: true } the first proposal carries a PNG (s.photo is its attachment).
// The server must run with SANGKIEN_TEST_CLOCK=1. The API clients keep sending
// the moved clock (X-Sangkien-Test-Now); the browser need not: nothing after the
// close depends on the time.

import { ApiClient, PASSWORD, addGroup, isoVN, makeAccount, makePng, proposalBody } from './seed.mjs';

export const PROPOSALS = Object.freeze([
  'Đăng ký lịch khám sức khoẻ qua Zalo cho người cao tuổi',
  'Bản đồ số các điểm thu gom rác tái chế',
  'Mã QR dán ở nhà văn hoá để đăng ký lịch họp tổ',
]);

/** Logs account (from makeAccount) in again with a client that sends the moved clock. */
async function clocked(srv, account, now) {
  account.api = await new ApiClient(srv.baseURL, { now }).login(account.phone, PASSWORD);
  return account;
}

export async function seedAppraisal(srv, { title = 'Sáng kiến chuyển đổi số 2026', phones = {}, photo = false } = {}) {
  const start = Date.now();
  const leader = await makeAccount(srv, { name: 'Lê Văn Lãnh', phone: phones.leader || '0911000001' }, 'leader');
  // Panelists live in another group: the same group as the proposals is a conflict of interest.
  const other = await addGroup(srv, 'Tổ dân phố 12');
  const a = await makeAccount(srv, { name: 'Phạm Thị Thẩm', phone: phones.a || '0922000001', groupId: other.id }, 'panelist');
  const b = await makeAccount(srv, { name: 'Võ Văn Định', phone: phones.b || '0922000002', groupId: other.id }, 'panelist');
  const resident = await makeAccount(srv, { name: 'Đặng Thị Đào', phone: phones.resident || '0944555666' });

  const { campaign } = await leader.api.post(`/wards/${srv.ward.id}/campaigns`, {
    title,
    description: 'Phường mời bà con góp ý tưởng đưa công nghệ số vào đời sống tổ dân phố.',
    rules: 'Mỗi đề xuất nêu rõ vấn đề, cách làm, chi phí.',
    opens_at: isoVN(start - 3600 * 1000),
    closes_at: isoVN(start + 120 * 1000),
    reviews_required: 2,
    blind_review: true,
  });
  await leader.api.post(`/campaigns/${campaign.id}/transitions`, { to: 'open' });
  const proposals = [];
  for (const [i, t] of PROPOSALS.entries()) {
    const { proposal } = await resident.api.post(`/campaigns/${campaign.id}/proposals`,
      { ...proposalBody(srv, { title: t, cost_vnd: 500000 * (i + 1) }), submit: true });
    proposals.push(proposal);
  }
  const attachment = photo
    ? (await resident.api.request('POST', `/proposals/${proposals[0].id}/attachments`, undefined, {
      raw: makePng(), headers: { 'Content-Type': 'image/png', 'X-Filename': encodeURIComponent('ảnh bảng tin.png') },
    })).attachment
    : null;
  // Past the deadline (well under the 30 idle minutes a session lasts).
  const now = Math.floor(start / 1000) + 10 * 60;
  await clocked(srv, leader, now);
  await clocked(srv, a, now);
  await clocked(srv, b, now);
  await leader.api.post(`/campaigns/${campaign.id}/transitions`, { to: 'closed' });
  await leader.api.post(`/campaigns/${campaign.id}/transitions`, { to: 'appraisal' });
  await leader.api.request('PUT', `/campaigns/${campaign.id}/panel`, { panelist_ids: [a.id, b.id] });
  await leader.api.post(`/campaigns/${campaign.id}/assignments`, { mode: 'all' });
  const call = (await leader.api.get(`/campaigns/${campaign.id}`)).campaign;
  return { leader, panelists: [a, b], resident, call, proposals, now, photo: attachment };
}
