import 'reflect-metadata';
import { AddressInfo } from 'node:net';
import { createApp } from '../app.factory';
import { loadConfig } from '../config/app-config';
import { AppRole } from '../config/environment';

/**
 * Seeds a demo family through the public API (so every rule applies): a migrant parent, a grandmother
 * guardian, their child with a class, and a teacher. Idempotent: a second run only prints the logins
 * and a fresh pairing code for the child's device.
 */
export const DEMO_PASSWORD = 'Homeline-demo-2026';
export const DEMO = {
  parent: { displayName: '李强', phone: '+8613800000001', timeZone: 'Asia/Shanghai' },
  guardian: { displayName: '王秀英', phone: '+8613800000002', timeZone: 'Asia/Shanghai' },
  teacher: { displayName: '张老师', phone: '+8613800000003', timeZone: 'Asia/Shanghai' },
};

type Json = Record<string, unknown>;

async function main(): Promise<void> {
  const config = loadConfig({ APP_ROLE: AppRole.Api, LOG_LEVEL: 'warn' });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const call = async (method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
  };
  const must = async (method: string, path: string, body?: unknown, token?: string): Promise<Json> => {
    const res = await call(method, path, body, token);
    if (res.status >= 300) throw new Error(`seed: ${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const signIn = async (who: { displayName: string; phone: string; timeZone: string }): Promise<{ token: string; created: boolean }> => {
    const login = await call('POST', '/v1/auth/login', { login: who.phone, password: DEMO_PASSWORD });
    if (login.status === 200) return { token: login.body.accessToken as string, created: false };
    const registered = await must('POST', '/v1/auth/register', { ...who, password: DEMO_PASSWORD, locale: 'zh-CN' });
    return { token: registered.accessToken as string, created: true };
  };

  try {
    const parent = await signIn(DEMO.parent);
    const guardian = await signIn(DEMO.guardian);
    const teacher = await signIn(DEMO.teacher);
    let families = (await must('GET', '/v1/families', undefined, guardian.token)) as unknown as Json[];
    if (!Array.isArray(families)) families = (families as Json).items as Json[];
    let childId: string;
    if (families.length === 0) {
      const family = await must('POST', '/v1/families', { name: '李家', role: 'parent' }, parent.token);
      const invitation = await must('POST', `/v1/families/${family.id}/invitations`, { role: 'guardian' }, parent.token);
      await must('POST', `/v1/invitations/${invitation.code}/accept`, undefined, guardian.token);
      const child = await must(
        'POST',
        `/v1/families/${family.id}/children`,
        { displayName: '李小宇', birthYear: 2016, consent: { accepted: true, noticeVersion: config.privacyNoticeVersion } },
        guardian.token,
      );
      childId = child.id as string;
      const klass = await must('POST', '/v1/classes', { name: '三年级二班', schoolName: '城关小学' }, teacher.token);
      await must('POST', `/v1/children/${childId}/enrollments`, { joinCode: klass.joinCode }, guardian.token);
    } else {
      const family = await must('GET', `/v1/families/${families[0].id}`, undefined, guardian.token);
      childId = ((family.children as Json[])[0] as Json).id as string;
    }
    const pairing = await must('POST', `/v1/children/${childId}/pairing-codes`, undefined, guardian.token);
    console.log(
      [
        '',
        'Demo family (password for every adult: ' + DEMO_PASSWORD + ')',
        `  parent    ${DEMO.parent.displayName}  ${DEMO.parent.phone}`,
        `  guardian  ${DEMO.guardian.displayName}  ${DEMO.guardian.phone}`,
        `  teacher   ${DEMO.teacher.displayName}  ${DEMO.teacher.phone}`,
        `  child     李小宇 (id ${childId}) — pair a device with code ${pairing.code as string} (valid until ${pairing.expiresAt as string})`,
        '',
      ].join('\n'),
    );
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
