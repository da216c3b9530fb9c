// findFault walks a fault's faultCause chain as govmomi's fault.As does: the
// fault itself, then its cause, the cause's cause…, bounded; and the callers
// that match fault types find one wrapped in another.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeField } from '../src/lib/vsphere/soap/decode.js';
import { faultError, findFault, parseSoapFault, UnreadablePropertyError } from '../src/lib/vsphere/soap/faults.js';
import { currentSession } from '../src/lib/vsphere/session.js';
import type { LocalizedMethodFault, MethodFault, MissingProperty } from '../src/lib/vsphere/types.js';
import { children, parseXml } from '../src/lib/vsphere/soap/xml.js';
import { startFakeVim, type FakeVim } from './support/fake-vim.js';

let fake: FakeVim | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

/** A SystemError whose cause is a GenericVmConfigFault whose cause is `inner`. */
const wrapped = (inner: string) =>
  `<SystemErrorFault ${xsi} xsi:type="SystemError"><reason>wrapped</reason>` +
  `<faultCause><fault xsi:type="GenericVmConfigFault"><reason>middle</reason>` +
  `<faultCause><fault xsi:type="${inner}"><object type="Folder">group-d1</object><privilegeId>System.View</privilegeId></fault>` +
  `<localizedMessage>inner</localizedMessage></faultCause></fault>` +
  `<localizedMessage>middle</localizedMessage></faultCause></SystemErrorFault>`;

const soapFault = (detail: string) => {
  const doc = parseXml(`<Fault ${xsi}><faultstring>outer</faultstring><detail>${detail}</detail></Fault>`);
  return parseSoapFault(doc.Fault![0]!);
};

describe('findFault', () => {
  it('finds the fault itself', () => {
    const fault: MethodFault = { _type: 'InvalidLogin' };
    expect(findFault(fault, 'InvalidLogin')).toBe(fault);
    expect(findFault(faultError('Login', fault, 'no'), 'InvalidLogin')).toBe(fault);
  });

  it('finds a fault two causes down, decoded from the wire', () => {
    const { fault, message } = soapFault(wrapped('NotAuthenticated'));
    expect(fault._type).toBe('SystemError');
    const err = faultError('RetrievePropertiesEx', fault, message);
    expect(err.faultType).toBe('SystemError');
    const found = findFault(err, 'NotAuthenticated');
    expect(found?._type).toBe('NotAuthenticated');
    expect(found?.object).toEqual({ type: 'Folder', value: 'group-d1' });
    expect(findFault(err, 'GenericVmConfigFault')?.reason).toBe('middle');
  });

  it('takes a LocalizedMethodFault, and any of several types', () => {
    const doc = parseXml(
      `<r ${xsi}><returnval><fault xsi:type="TaskInProgress"><faultCause><fault xsi:type="InvalidPowerState"/>` +
        `</faultCause></fault><localizedMessage>busy</localizedMessage></returnval></r>`,
    );
    const lmf = decodeField(children(doc.r![0], 'returnval'), 'LocalizedMethodFault') as LocalizedMethodFault;
    expect(findFault(lmf, 'InvalidState', 'InvalidPowerState')?._type).toBe('InvalidPowerState');
    expect(findFault(lmf, 'TaskInProgress')).toBe(lmf.fault);
  });

  it('matches types exactly: a NotAuthenticated is not a NoPermission', () => {
    const { fault, message } = soapFault(wrapped('NotAuthenticated'));
    expect(findFault(faultError('X', fault, message), 'NoPermission')).toBeUndefined();
  });

  it('has no fault for what is not one, and ends on a cycle', () => {
    expect(findFault(new Error('NotAuthenticated'), 'NotAuthenticated')).toBeUndefined();
    expect(findFault(undefined, 'NotAuthenticated')).toBeUndefined();
    expect(findFault('NotAuthenticated', 'NotAuthenticated')).toBeUndefined();
    const loop: MethodFault = { _type: 'SystemError' };
    loop.faultCause = { fault: loop };
    expect(findFault(loop, 'NotAuthenticated')).toBeUndefined();
  });
});

describe('fault matching through causes', () => {
  it('a saved session is not valid when the NotAuthenticated comes wrapped', async () => {
    fake = await startFakeVim({
      RetrievePropertiesEx: () => ({ fault: wrapped('NotAuthenticated'), message: 'session gone' }),
    });
    fake.client.serviceContent!.sessionManager = { type: 'SessionManager', value: 'SessionManager' };
    fake.client.cookie = 'vmware_soap_session="stale"';
    await expect(currentSession(fake.client)).resolves.toBeUndefined();
  });

  it('other faults still reach the caller', async () => {
    fake = await startFakeVim({
      RetrievePropertiesEx: () => ({ fault: wrapped('InvalidArgument'), message: 'bad' }),
    });
    fake.client.serviceContent!.sessionManager = { type: 'SessionManager', value: 'SessionManager' };
    fake.client.cookie = 'vmware_soap_session="x"';
    await expect(currentSession(fake.client)).rejects.toThrow('RetrievePropertiesEx failed: bad');
  });

  it('an unreadable property names the privilege when NoPermission is the cause', () => {
    const { fault } = soapFault(wrapped('NoPermission'));
    const missing: MissingProperty = { path: 'config.extraConfig', fault: { fault, localizedMessage: 'outer' } };
    const err = new UnreadablePropertyError({ type: 'VirtualMachine', value: 'vm-1' }, missing, 'node-1');
    expect(err.message).toBe(
      'cannot read config.extraConfig of VirtualMachine "node-1" (vm-1): permission denied, needs privilege System.View',
    );
    expect(err.privileges).toEqual(['System.View']);
    expect(err.faultType).toBe('SystemError');
  });
});
