// onboardkit demo: the onboarding journey against the API of the server that
// serves this page. Plain JavaScript, no build step, nothing from other hosts
// (the Content-Security-Policy of the page allows this origin only).
'use strict';

(() => {
  const body = document.body;
  const API = body.dataset.apiBase || ''; // the server's -base-path
  const DEV_CODES = body.dataset.devCodes || ''; // GET /dev/codes, '' when off

  // The session lives in this closure only. Tokens are deliberately not
  // put in localStorage or sessionStorage: any script that ever runs on this
  // origin (an XSS, a compromised dependency) can read web storage and
  // carry a refresh token away, while a variable in memory dies with the
  // page. The price is that a reload signs you out; a passkey makes signing
  // in again one tap.
  const state = {
    tokens: null, // {accessToken, refreshToken, ...}
    userId: '',
    phone: '', // as typed at sign-up (the dev code endpoint accepts it so)
    email: '',
    phoneChallenge: '',
    emailChallenge: '',
  };

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  // ---- the API ----------------------------------------------------------

  // ApiError is a failed call: the HTTP status and the problem details
  // (RFC 9457: code, title, detail, errors[{field, code, message}]).
  class ApiError extends Error {
    constructor(status, problem, retryAfter) {
      super(problem.detail || problem.title || `HTTP ${status}`);
      this.status = status;
      this.code = problem.code || '';
      this.errors = Array.isArray(problem.errors) ? problem.errors : [];
      this.retryAfter = retryAfter;
    }
  }

  async function request(method, url, payload, auth) {
    const headers = { Accept: 'application/json, application/problem+json' };
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    if (auth && state.tokens) headers.Authorization = `Bearer ${state.tokens.accessToken}`;
    const res = await fetch(url, {
      method,
      headers,
      body: payload === undefined ? undefined : JSON.stringify(payload),
      credentials: 'omit',
      cache: 'no-store',
    });
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = { detail: text.slice(0, 200) };
      }
    }
    if (!res.ok) throw new ApiError(res.status, data || {}, res.headers.get('Retry-After'));
    return data;
  }

  // api calls the API; with auth it sends the access token and, once, refreshes
  // the tokens when the access token has expired.
  async function api(method, path, payload, { auth = true } = {}) {
    try {
      return await request(method, API + path, payload, auth);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401 || !auth || !state.tokens) throw err;
      try {
        const res = await request('POST', `${API}/v1/refresh`, { refreshToken: state.tokens.refreshToken }, false);
        state.tokens = res.tokens;
      } catch {
        signOut('Your session ended. Sign in again.');
        throw err;
      }
      return request(method, API + path, payload, auth);
    }
  }

  // ---- errors next to the fields they name ---------------------------------

  function clearErrors(root) {
    for (const el of $$('.field-error, .form-error', root)) {
      el.textContent = '';
      el.hidden = true;
    }
    for (const el of $$('[aria-invalid]', root)) el.removeAttribute('aria-invalid');
  }

  // slotFor finds the error slot of a field path: the exact one
  // ("residentialAddress.city"), else the nearest parent that has one
  // ("verificationDocuments[0]").
  function slotFor(root, field) {
    let f = field || '';
    while (f) {
      const slot = $$('.field-error', root).find((el) => el.dataset.for === f);
      if (slot) return slot;
      const cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
      if (cut <= 0) break;
      f = f.slice(0, cut);
    }
    return null;
  }

  function addLine(el, text) {
    const line = document.createElement('span');
    line.className = 'line';
    line.textContent = text;
    el.append(line);
    el.hidden = false;
  }

  // showError puts an API problem in root: each field error in the slot of
  // its field (the input marked invalid), the rest and the problem's own
  // message in the form's error box.
  function showError(root, err) {
    clearErrors(root);
    const box = $('.form-error', root);
    if (!(err instanceof ApiError)) {
      addLine(box, err && err.message ? err.message : String(err));
      return;
    }
    let head = err.message;
    if (err.code) head += ` (${err.code})`;
    if (err.retryAfter) head += ` Try again in ${err.retryAfter} s.`;
    addLine(box, head);
    let first = null;
    for (const fe of err.errors) {
      const slot = slotFor(root, fe.field);
      const text = fe.message || fe.code;
      if (!slot) {
        addLine(box, `${fe.field}: ${text}`);
        continue;
      }
      addLine(slot, text);
      const input = $$('[name]', root).find((el) => el.name === slot.dataset.for);
      if (input) {
        input.setAttribute('aria-invalid', 'true');
        if (!slot.id) slot.id = `err-${Math.random().toString(36).slice(2)}`;
        input.setAttribute('aria-describedby', slot.id);
        first = first || input;
      }
    }
    if (first) first.focus();
  }

  // submitting runs action for a form's submit, with its button disabled and
  // its errors shown.
  function onSubmit(form, action) {
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      await busy(form, form, () => action(form));
    });
  }

  async function busy(root, errorRoot, action) {
    const buttons = $$('button', root);
    for (const b of buttons) b.disabled = true;
    clearErrors(errorRoot);
    try {
      await action();
    } catch (err) {
      showError(errorRoot, err);
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  const value = (form, name) => {
    const el = form.elements.namedItem(name);
    return el ? el.value.trim() : '';
  };

  // ---- navigation ---------------------------------------------------------

  const order = ['signup', 'phone', 'email', 'profile', 'compliance', 'kyc', 'account'];

  function show(id) {
    for (const s of $$('main > section')) s.hidden = s.id !== id;
    const current = $(`#${id}`).dataset.progress;
    const at = order.indexOf(current);
    for (const li of $$('#progress li')) {
      const i = order.indexOf(li.dataset.step);
      li.classList.toggle('done', i < at);
      li.classList.toggle('current', i === at);
      if (i === at) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    }
    $('#session').hidden = !state.tokens;
    const first = id === 'account' ? null : $(`#${id} input, #${id} select`);
    if (first && !first.value) first.focus();
    window.scrollTo(0, 0);
  }

  function flash(text) {
    const el = $('#flash');
    el.textContent = text;
    el.hidden = !text;
  }

  // go shows the section of the first step still required (next as the API
  // lists it).
  async function go(next) {
    const step = (next || [])[0];
    switch (step) {
      case 'confirm_phone':
        return show('phone');
      case 'add_email':
        return show('email');
      case 'confirm_email':
        return show(state.emailChallenge ? 'email-code' : 'email');
      case 'complete_profile':
        return show('profile');
      case 'submit_compliance':
        return show('compliance');
      case 'submit_kyc':
        return show('kyc');
      case undefined:
      case 'kyc_review':
        return showAccount();
      default:
        flash(`This demo walks the default (phone first) flow; the server asks for "${step}".`);
        return showAccount();
    }
  }

  function signIn(res) {
    state.tokens = res.tokens;
    state.userId = res.userId;
    $('#session-who').textContent = 'Signed in';
  }

  function signOut(message) {
    state.tokens = null;
    state.userId = '';
    state.phone = state.email = state.phoneChallenge = state.emailChallenge = '';
    for (const f of $$('form')) f.reset();
    $('#kyc-result').hidden = true;
    $('#k-preview').hidden = true;
    flash(message || '');
    show('signup');
  }

  // ---- the journey -----------------------------------------------------------

  onSubmit($('#signup-form'), async (form) => {
    const phoneNumber = value(form, 'phoneNumber');
    const res = await api('POST', '/v1/signup', { phoneNumber, password: form.elements.password.value }, { auth: false });
    state.phone = phoneNumber;
    state.phoneChallenge = res.challenge.challengeId;
    $('#phone-destination').textContent = res.challenge.destination;
    flash('');
    show('phone');
  });

  onSubmit($('#phone-form'), async (form) => {
    const res = await api('POST', '/v1/phone/confirm', { challengeId: state.phoneChallenge, code: value(form, 'code') }, { auth: false });
    signIn(res);
    await go(res.next);
  });

  $('#phone-resend').addEventListener('click', () =>
    busy($('#phone-form'), $('#phone-form'), async () => {
      const res = await api('POST', '/v1/phone/resend', { challengeId: state.phoneChallenge }, { auth: false });
      state.phoneChallenge = res.challenge.challengeId;
      flash(`A new code is on its way to ${res.challenge.destination}.`);
    }),
  );

  onSubmit($('#email-form'), async (form) => {
    const email = value(form, 'email');
    const res = await api('PUT', '/v1/email', { email });
    state.email = email;
    state.emailChallenge = res.challenge.challengeId;
    $('#email-destination').textContent = res.challenge.destination;
    show('email-code');
  });

  onSubmit($('#email-code-form'), async (form) => {
    const res = await api('POST', '/v1/email/confirm', { challengeId: state.emailChallenge, code: value(form, 'code') });
    state.emailChallenge = '';
    await go(res.next);
  });

  $('#email-resend').addEventListener('click', () =>
    busy($('#email-code-form'), $('#email-code-form'), async () => {
      const res = await api('POST', '/v1/email/resend', { challengeId: state.emailChallenge });
      state.emailChallenge = res.challenge.challengeId;
      flash(`A new code is on its way to ${res.challenge.destination}.`);
    }),
  );

  // The development outbox: the last code sent to the phone or the email.
  if (DEV_CODES) {
    for (const el of $$('.dev')) el.hidden = false;
    for (const btn of $$('.dev-code')) {
      btn.addEventListener('click', async () => {
        const form = btn.closest('form');
        const out = $('.dev-result', btn.parentElement);
        const to = btn.dataset.to === 'phone' ? state.phone : state.email;
        await busy(btn.parentElement, form, async () => {
          const res = await request('GET', `${DEV_CODES}?to=${encodeURIComponent(to)}`, undefined, false);
          $(`#${btn.dataset.target}`).value = res.code;
          out.textContent = `${res.code} (${res.channel}, ${res.purpose})`;
        });
      });
    }
  }

  onSubmit($('#profile-form'), async (form) => {
    const address = {};
    for (const f of ['streetLine1', 'postalCode', 'city', 'country']) {
      const v = value(form, `residentialAddress.${f}`);
      if (v) address[f] = f === 'country' ? v.toUpperCase() : v;
    }
    const patch = {
      firstName: value(form, 'firstName'),
      lastName: value(form, 'lastName'),
      birthDate: value(form, 'birthDate'),
      nationality: value(form, 'nationality').toUpperCase(),
      residentialAddress: address,
    };
    // Send only what was filled in: the API keeps what is absent and
    // answers the required fields still missing.
    for (const k of Object.keys(patch)) if (patch[k] === '') delete patch[k];
    const res = await api('PATCH', '/v1/profile', patch);
    if (res.missingFields && res.missingFields.length) {
      for (const f of res.missingFields) {
        const slot = slotFor(form, f);
        if (slot) addLine(slot, 'Required.');
        else addLine($('.form-error', form), `${f}: required.`);
      }
      addLine($('.form-error', form), 'Some details are still missing.');
      return;
    }
    await go(res.next);
  });

  onSubmit($('#compliance-form'), async (form) => {
    const pep = form.elements.politicallyExposed.value;
    const body = {
      // The moment the box was ticked is when the terms were accepted; the
      // API requires the timestamp, so an unticked box sends none and the
      // API's answer names the field.
      termsAcceptedAt: form.elements.termsAcceptedAt.checked ? new Date().toISOString() : undefined,
      politicallyExposed: pep === '' ? undefined : pep === 'true',
      questionnaire: {
        employmentStatus: value(form, 'questionnaire.employmentStatus'),
        sourceOfFunds: value(form, 'questionnaire.sourceOfFunds'),
        expectedMonthlyPaymentsUsd: value(form, 'questionnaire.expectedMonthlyPaymentsUsd'),
        mostRecentOccupation: value(form, 'questionnaire.mostRecentOccupation'),
      },
    };
    for (const [k, v] of Object.entries(body.questionnaire)) if (v === '') delete body.questionnaire[k];
    await api('POST', '/v1/compliance', body);
    const me = await api('GET', '/v1/me');
    await go(me.next);
  });

  // The document the user picks, as the data URL the API takes.
  let documentURL = '';
  $('#k-file').addEventListener('change', (ev) => {
    const file = ev.target.files[0];
    documentURL = '';
    $('#k-preview').hidden = true;
    if (!file) return;
    const reader = new FileReader();
    reader.addEventListener('load', () => {
      documentURL = reader.result;
      if (file.type.startsWith('image/')) {
        $('#k-preview').src = documentURL;
        $('#k-preview').hidden = false;
      }
    });
    reader.addEventListener('error', () => showError($('#kyc-form'), new Error(`Cannot read ${file.name}.`)));
    reader.readAsDataURL(file);
  });

  onSubmit($('#kyc-form'), async (form) => {
    const doc = {
      documentType: value(form, 'verificationDocuments[0].documentType'),
      issuingCountry: value(form, 'verificationDocuments[0].issuingCountry').toUpperCase(),
      documentNumber: value(form, 'verificationDocuments[0].documentNumber'),
      expiryDate: value(form, 'verificationDocuments[0].expiryDate') || undefined,
      document: documentURL,
    };
    const res = await api('POST', '/v1/kyc', { verificationDocuments: [doc] });
    const out = $('#kyc-result');
    out.replaceChildren();
    const add = (text, cls) => {
      const p = document.createElement('p');
      p.textContent = text;
      if (cls) p.className = cls;
      out.append(p);
    };
    add(`Submitted: ${res.verificationStatus.replaceAll('_', ' ')}.`);
    for (const d of res.verificationDocuments || []) {
      for (const w of d.warnings || []) add(`${d.documentType}: ${w.message} (${w.code})`, 'warning');
      for (const e of d.errors || []) add(`${d.documentType}: ${e.message} (${e.code})`, 'error');
    }
    if ((res.missingDocuments || []).length) add(`Still missing: ${res.missingDocuments.join(', ')}.`, 'warning');
    out.hidden = false;
    const me = await api('GET', '/v1/me');
    if (me.next && me.next[0] === 'submit_kyc') return; // fix and submit again
    // Warnings do not stop the review: say them on the next page too.
    const warnings = (res.verificationDocuments || []).flatMap((d) => (d.warnings || []).map((w) => w.message));
    flash(warnings.length ? `Documents received. Note: ${warnings.join(' ')}` : 'Documents received.');
    await go(me.next);
  });

  // ---- the account ---------------------------------------------------------------

  const money = (minor) => (typeof minor === 'number' ? (minor / 100).toLocaleString('en', { minimumFractionDigits: 2 }) : '–');

  async function showAccount() {
    const section = $('#account');
    show('account');
    await busy(section, section, async () => {
      const me = await api('GET', '/v1/me');
      state.phone = state.phone || me.phoneNumber || '';
      state.email = state.email || me.email || '';
      $('#session-who').textContent = me.email || me.phoneNumber || 'Signed in';
      $('#me-status').textContent = me.status.replaceAll('_', ' ');
      $('#me-kyc').textContent = `${me.kyc.verificationStatus.replaceAll('_', ' ')}${me.kyc.tier ? `, tier ${me.kyc.tier}` : ''}`;
      $('#me-limits').textContent = me.limits ? `${money(me.limits.dailyDeposit)} a day, ${money(me.limits.monthlyDeposit)} a month` : '–';
      $('#review-pending').hidden = me.kyc.verificationStatus !== 'under_review';
      const res = await api('GET', '/v1/accounts');
      renderAccounts(res.accounts || []);
    });
    // Passkeys apart, so that a failure there leaves the account shown.
    const form = $('#passkey-form');
    try {
      await loadPasskeys();
    } catch (err) {
      showError(form, err);
    }
  }

  function renderAccounts(accounts) {
    const root = $('#accounts');
    root.replaceChildren();
    if (!accounts.length) {
      const p = document.createElement('p');
      p.textContent = 'No account yet: one is opened when your identity is verified.';
      root.append(p);
    }
    for (const a of accounts) {
      const box = document.createElement('div');
      box.className = 'account';
      const h = document.createElement('h2');
      h.textContent = `Account ${a.active ? '(active)' : '(inactive)'}`;
      const id = document.createElement('p');
      id.className = 'mono small';
      id.textContent = a.accountId;
      box.append(h, id);
      for (const p of a.portfolios || []) {
        const card = document.createElement('div');
        card.className = 'portfolio';
        const name = document.createElement('p');
        name.className = 'portfolio-name';
        name.textContent = `${p.name} · ${p.portfolioAccountType}`;
        const label = document.createElement('p');
        label.className = 'small';
        label.textContent = `Deposit address (${p.address.chain})`;
        const addr = document.createElement('p');
        addr.className = 'mono address deposit-address';
        addr.textContent = p.address.address;
        card.append(name, label, addr);
        box.append(card);
      }
      root.append(box);
    }
  }

  $('#account-refresh').addEventListener('click', () => showAccount());

  $('#logout').addEventListener('click', async () => {
    const tokens = state.tokens;
    if (tokens) {
      try {
        await api('POST', '/v1/logout', { refreshToken: tokens.refreshToken });
      } catch {
        // the session ends here anyway
      }
    }
    signOut('Signed out.');
  });

  // ---- passkeys (WebAuthn) -------------------------------------------------------

  // The API speaks base64url (no padding) for every binary field; the
  // browser's WebAuthn API wants ArrayBuffers.
  function b64urlToBuffer(s) {
    const b64 = s.replaceAll('-', '+').replaceAll('_', '/') + '==='.slice((s.length + 3) % 4);
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function bufferToB64url(buf) {
    const bytes = new Uint8Array(buf);
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
  }

  // The options as go-webauthn marshals them: either the options object or
  // {publicKey: options, mediation?}.
  const optionsOf = (res) => (res.publicKey && res.publicKey.publicKey ? res.publicKey.publicKey : res.publicKey);

  function creationOptions(o) {
    return {
      ...o,
      challenge: b64urlToBuffer(o.challenge),
      user: { ...o.user, id: b64urlToBuffer(o.user.id) },
      excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: b64urlToBuffer(c.id) })),
    };
  }

  function requestOptions(o) {
    return {
      ...o,
      challenge: b64urlToBuffer(o.challenge),
      allowCredentials: (o.allowCredentials || []).map((c) => ({ ...c, id: b64urlToBuffer(c.id) })),
    };
  }

  function supportsPasskeys() {
    // A relying party id is a domain: at http://127.0.0.1:8080 no passkey
    // ceremony can run, at http://localhost:8080 it can.
    if (/^[0-9.]+$|^\[.*\]$/.test(location.hostname)) {
      const here = new URL(location.href);
      here.hostname = 'localhost';
      throw new Error(`Passkeys need a domain name: open this page at ${here.origin}/ instead.`);
    }
    if (!window.PublicKeyCredential || !navigator.credentials) {
      throw new Error('This browser does not support passkeys (WebAuthn needs https, or http://localhost).');
    }
  }

  async function loadPasskeys() {
    const list = $('#passkey-list');
    const res = await api('GET', '/v1/passkeys');
    list.replaceChildren();
    for (const p of res.passkeys || []) {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.className = 'passkey-name';
      name.textContent = p.name || 'Passkey';
      const when = document.createElement('span');
      when.className = 'small';
      when.textContent = p.createdAt ? ` added ${new Date(p.createdAt).toLocaleDateString()}` : '';
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'link';
      del.textContent = 'Remove';
      del.addEventListener('click', () =>
        busy(li, $('#passkey-form'), async () => {
          await api('DELETE', `/v1/passkeys/${encodeURIComponent(p.passkeyId)}`);
          await loadPasskeys();
        }),
      );
      li.append(name, when, del);
      list.append(li);
    }
    $('#passkey-add').textContent = list.children.length ? 'Add another passkey' : 'Create a passkey';
  }

  // credentialJSON is the PublicKeyCredential JSON the API takes: the
  // fields every ceremony has, and the response's own (attestation or
  // assertion), binary members in base64url.
  function credentialJSON(cred, response) {
    return {
      id: cred.id,
      rawId: bufferToB64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: { clientDataJSON: bufferToB64url(cred.response.clientDataJSON), ...response },
    };
  }

  onSubmit($('#passkey-form'), async (form) => {
    supportsPasskeys();
    const opts = await api('POST', '/v1/passkeys/options', {});
    const cred = await navigator.credentials.create({ publicKey: creationOptions(optionsOf(opts)) });
    const r = cred.response;
    const credential = credentialJSON(cred, {
      attestationObject: bufferToB64url(r.attestationObject),
      transports: typeof r.getTransports === 'function' ? r.getTransports() : [],
    });
    const name = value(form, 'name');
    await api('POST', '/v1/passkeys', { ceremonyId: opts.ceremonyId, name: name || undefined, credential });
    form.reset();
    flash('Passkey created: log out, then sign in with it.');
    await loadPasskeys();
  });

  $('#passkey-login').addEventListener('click', () => {
    const box = $('#passkey-login-box');
    return busy(box, box, async () => {
      supportsPasskeys();
      const opts = await api('POST', '/v1/login/passkey/options', {}, { auth: false });
      const cred = await navigator.credentials.get({ publicKey: requestOptions(optionsOf(opts)) });
      const r = cred.response;
      const credential = credentialJSON(cred, {
        authenticatorData: bufferToB64url(r.authenticatorData),
        signature: bufferToB64url(r.signature),
        userHandle: r.userHandle ? bufferToB64url(r.userHandle) : undefined,
      });
      const res = await api('POST', '/v1/login/passkey', { ceremonyId: opts.ceremonyId, credential }, { auth: false });
      signIn(res);
      flash('Signed in with a passkey.');
      await go(res.next);
    });
  });

  show('signup');
})();
