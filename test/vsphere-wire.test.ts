// Unit tests for the vim25 wire format: escaping, typed serialization,
// decoding by wire type, and fault translation.
import { describe, expect, it } from 'vitest';
import { Secret } from '../src/lib/core/secret.js';
import { decodeField } from '../src/lib/vsphere/soap/decode.js';
import {
  InvalidArgumentError,
  InvalidLoginError,
  ManagedObjectNotFoundError,
  NoPermissionError,
  faultError,
  parseSoapFault,
} from '../src/lib/vsphere/soap/faults.js';
import { children, envelope, escapeXml, parseXml, unescapeXml, xsd } from '../src/lib/vsphere/soap/xml.js';

const body = (xml: string) => {
  const doc = parseXml(`<r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${xml}</r>`);
  return doc.r![0]!;
};

describe('XML escaping', () => {
  it('escapes the five special characters', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
  });

  it('decodes entities and character references once, not twice', () => {
    expect(unescapeXml('&amp;lt; &lt; &#39; &#x41; &#233;')).toBe("&lt; < ' A é");
  });

  it('round-trips a password with every special character', () => {
    const password = `p<>&"'w ü &amp;`;
    const xml = envelope(
      'Login',
      { type: 'SessionManager', value: 'SessionManager' },
      {
        userName: 'u',
        password: new Secret(password),
      },
    );
    const doc = parseXml(xml);
    const login = children(children(doc['soapenv:Envelope']![0], 'Body')[0], 'Login')[0];
    expect(decodeField(children(login, 'password'), 'string')).toBe(password);
  });
});

describe('request serialization', () => {
  it('writes fields in order, references with their type, and xsi:type for polymorphic values', () => {
    const xml = envelope(
      'ReconfigVM_Task',
      { type: 'VirtualMachine', value: 'vm-1' },
      {
        spec: {
          extraConfig: [{ _type: 'OptionValue', key: 'disk.enableUUID', value: xsd('string', 'TRUE') }],
        },
      },
    );
    expect(xml).toContain(
      '<ReconfigVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">vm-1</_this><spec>' +
        '<extraConfig xsi:type="OptionValue"><key>disk.enableUUID</key><value xsi:type="xsd:string">TRUE</value>' +
        '</extraConfig></spec></ReconfigVM_Task>',
    );
  });

  it('repeats array elements and leaves out undefined fields', () => {
    const xml = envelope(
      'CreateContainerView',
      { type: 'ViewManager', value: 'ViewManager' },
      {
        container: { type: 'Folder', value: 'group-d1' },
        type: ['Datastore', 'HostSystem'],
        recursive: true,
        skipped: undefined,
      },
    );
    expect(xml).toContain(
      '<container type="Folder">group-d1</container><type>Datastore</type><type>HostSystem</type><recursive>true</recursive></CreateContainerView>',
    );
  });

  it('never writes a Secret as <redacted>', () => {
    const xml = envelope('Login', { type: 'SessionManager', value: 'SessionManager' }, { password: new Secret('s3') });
    expect(xml).toContain('<password>s3</password>');
  });
});

describe('decoding', () => {
  it('decodes numbers, booleans, references, arrays and subtypes by wire type', () => {
    const node = body(
      '<val xsi:type="NasDatastoreInfo"><name>nfs</name><url>ds:///x/</url><freeSpace>1024</freeSpace>' +
        '<nas><type>NFS</type><name>nfs</name><capacity>4096</capacity><remoteHost>10.0.0.1</remoteHost>' +
        '<remotePath>/export</remotePath><remoteHostNames>10.0.0.1</remoteHostNames></nas></val>',
    );
    expect(decodeField(children(node, 'val'), 'anyType')).toEqual({
      _type: 'NasDatastoreInfo',
      name: 'nfs',
      url: 'ds:///x/',
      freeSpace: 1024,
      nas: {
        type: 'NFS',
        name: 'nfs',
        capacity: 4096,
        remoteHost: '10.0.0.1',
        remotePath: '/export',
        remoteHostNames: ['10.0.0.1'],
      },
    });
  });

  it('decodes ArrayOf wrappers into arrays, even with one element', () => {
    const node = body(
      '<val xsi:type="ArrayOfDatastoreHostMount"><DatastoreHostMount><key type="HostSystem">host-1</key>' +
        '<mountInfo><accessMode>readWrite</accessMode><mounted>true</mounted><accessible>false</accessible></mountInfo>' +
        '</DatastoreHostMount></val>',
    );
    expect(decodeField(children(node, 'val'), 'anyType')).toEqual([
      {
        key: { type: 'HostSystem', value: 'host-1' },
        mountInfo: { accessMode: 'readWrite', mounted: true, accessible: false },
      },
    ]);
  });

  it('decodes enum values as strings', () => {
    const node = body('<val xsi:type="VirtualMachinePowerState">poweredOn</val>');
    expect(decodeField(children(node, 'val'), 'anyType')).toBe('poweredOn');
  });

  it('keeps names that look like numbers as strings', () => {
    const node = body('<val xsi:type="xsd:string">0123</val>');
    expect(decodeField(children(node, 'val'), 'anyType')).toBe('0123');
  });

  it('decodes entities in text and attributes, and empty elements as empty strings', () => {
    const node = body(
      '<val xsi:type="ArrayOfOptionValue"><OptionValue xsi:type="OptionValue"><key>a&amp;b</key>' +
        '<value xsi:type="xsd:string">&lt;x&gt; &#233;</value></OptionValue>' +
        '<OptionValue xsi:type="OptionValue"><key>empty</key><value xsi:type="xsd:string"></value></OptionValue>' +
        '<OptionValue xsi:type="OptionValue"><key>self-closing</key><value xsi:type="xsd:string"/></OptionValue></val>' +
        '<ref type="Folder&amp;X">group-&lt;1&gt;</ref><name/>',
    );
    expect(decodeField(children(node, 'val'), 'anyType')).toEqual([
      { _type: 'OptionValue', key: 'a&b', value: '<x> é' },
      { _type: 'OptionValue', key: 'empty', value: '' },
      { _type: 'OptionValue', key: 'self-closing', value: '' },
    ]);
    expect(decodeField(children(node, 'ref'), undefined)).toEqual({ type: 'Folder&X', value: 'group-<1>' });
    expect(decodeField(children(node, 'name'), 'string')).toBe('');
  });

  it('makes repeated fields without a schema entry arrays, in document order, and single ones values', () => {
    const node = body(
      '<val xsi:type="HostNasVolume"><remoteHostNames>a</remoteHostNames><tag>x</tag>' +
        '<remoteHostNames>b</remoteHostNames><tag>y</tag><tag>z</tag><once>1</once></val>',
    );
    expect(decodeField(children(node, 'val'), 'anyType')).toEqual({
      _type: 'HostNasVolume',
      remoteHostNames: ['a', 'b'],
      tag: ['x', 'y', 'z'],
      once: '1',
    });
  });
});

describe('faults', () => {
  const fault = (detail: string, message = 'msg') =>
    children(
      body(
        `<Fault><faultcode>ServerFaultCode</faultcode><faultstring>${message}</faultstring><detail>${detail}</detail></Fault>`,
      ),
      'Fault',
    )[0]!;

  it('maps InvalidLogin', () => {
    const { fault: f, message } = parseSoapFault(
      fault('<InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"></InvalidLoginFault>', 'Login failure'),
    );
    expect(faultError('Login', f, message)).toBeInstanceOf(InvalidLoginError);
  });

  it('names the missing privilege and the object for NoPermission', () => {
    const { fault: f, message } = parseSoapFault(
      fault(
        '<NoPermissionFault xsi:type="NoPermission"><object type="VirtualMachine">vm-42</object>' +
          '<privilegeId>VirtualMachine.Config.AdvancedConfig</privilegeId></NoPermissionFault>',
        'Permission to perform this operation was denied.',
      ),
    );
    const err = faultError('ReconfigVM_Task', f, message);
    expect(err).toBeInstanceOf(NoPermissionError);
    expect(err.message).toBe(
      'permission denied: ReconfigVM_Task needs privilege VirtualMachine.Config.AdvancedConfig on VirtualMachine "vm-42"',
    );
  });

  it('names the object for ManagedObjectNotFound and the property for InvalidArgument', () => {
    const nf = parseSoapFault(
      fault(
        '<ManagedObjectNotFoundFault xsi:type="ManagedObjectNotFound"><obj type="Task">task-9</obj></ManagedObjectNotFoundFault>',
      ),
    );
    expect(faultError('CreateFilter', nf.fault, nf.message)).toBeInstanceOf(ManagedObjectNotFoundError);
    expect(faultError('CreateFilter', nf.fault, nf.message).message).toContain('Task "task-9"');
    const ia = parseSoapFault(
      fault(
        '<InvalidArgumentFault xsi:type="InvalidArgument"><invalidProperty>spec.extraConfig</invalidProperty></InvalidArgumentFault>',
        'A specified parameter was not correct',
      ),
    );
    const err = faultError('ReconfigVM_Task', ia.fault, ia.message);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toBe(
      'vCenter rejected ReconfigVM_Task: invalid argument "spec.extraConfig": A specified parameter was not correct',
    );
  });

  it('names a fault without xsi:type by its element, past whitespace in the detail', () => {
    const { fault: f, message } = parseSoapFault(
      fault('\n  <vim25:InvalidStateFault xmlns:vim25="urn:vim25"></vim25:InvalidStateFault>\n', 'busy &amp; locked'),
    );
    expect(f._type).toBe('InvalidState');
    expect(message).toBe('busy & locked');
  });

  it("uses vCenter's message for other faults", () => {
    const { fault: f, message } = parseSoapFault(
      fault(
        '<InvalidStateFault xsi:type="InvalidState"></InvalidStateFault>',
        'The operation is not allowed in the current state.',
      ),
    );
    expect(faultError('PowerOnVM_Task', f, message).message).toBe(
      'PowerOnVM_Task failed: The operation is not allowed in the current state.',
    );
  });
});
