// The proposal form page: propose.html?campaign=<id> starts a proposal for a
// call; propose.html?id=<id> edits one (a draft, or a submitted proposal until
// the deadline). Not signed in: off to the login page and back.
import { onLangChange, setKey } from './i18n.js';
import { api } from './api.js';
import { idParam } from './dom.js';
import { formatDateTime } from './format.js';
import { goToLogin, residentGroup } from './session.js';
import { runPage, showAlert, startPage, wardGroups } from './ui.js';
import { createProposalForm } from './proposal-form.js';

const $ = (id) => document.getElementById(id);

async function main() {
  const account = await startPage();
  const status = $('propose-status');
  const alertEl = $('propose-alert');
  if (!account) {
    goToLogin();
    return;
  }
  const pid = idParam('id');
  let cid = idParam('campaign');
  if (!pid && !cid) {
    setKey(status, null);
    showAlert(alertEl, 'propose.noCall');
    $('propose-choose').hidden = false;
    return;
  }
  let proposal = null;
  let campaign;
  let groups;
  try {
    if (pid) {
      proposal = (await api.get(`/proposals/${pid}`)).proposal;
      cid = proposal.campaign_id;
    }
    campaign = (await api.get(`/campaigns/${cid}`)).campaign;
    groups = await wardGroups(campaign.ward_id);
  } catch (err) {
    setKey(status, null);
    showAlert(alertEl, err);
    return;
  }
  setKey(status, null);
  if (proposal) setKey($('propose-heading'), 'propose.editHeading');
  const showCall = () => {
    setKey($('propose-call'), 'propose.forCall', { title: campaign.title });
    setKey($('propose-deadline'), 'propose.deadline', { date: formatDateTime(campaign.closes_at) });
  };
  showCall();
  onLangChange(showCall);
  $('propose-call').hidden = false;
  $('propose-deadline').hidden = false;

  const helper = proposal && proposal.helped_by && proposal.helped_by.id === account.id;
  if (proposal && !helper && !(proposal.author && proposal.author.id === account.id)) {
    // A leader may read it (proposal.html), but only its author or helper may change it.
    showAlert(alertEl, 'errors.forbidden');
    return;
  }
  if (proposal && proposal.status === 'withdrawn') {
    showAlert(alertEl, 'errors.proposal_withdrawn');
    return;
  }
  if (!campaign.accepting) {
    showAlert(alertEl, 'propose.notAccepting');
    return;
  }
  if (!proposal && !account.roles.some((r) => r.ward_id === campaign.ward_id)) {
    showAlert(alertEl, 'propose.notResident');
    return;
  }
  createProposalForm($('propose-root'), {
    campaign,
    groups,
    account,
    proposal,
    defaultGroupId: residentGroup(account, campaign.ward_id),
    doneActions: helper
      ? [{ href: 'assist.html', i18n: 'assist.assistedTitle', primary: true }, { href: 'index.html', i18n: 'propose.toHome' }]
      : [{ href: 'my.html', i18n: 'propose.toMy', primary: true }, { href: 'index.html', i18n: 'propose.toHome' }],
  });
}

runPage(main);
