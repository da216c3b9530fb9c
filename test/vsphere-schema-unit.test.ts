// The wire schema generated from govmomi's types (scripts/vim25-schema):
// that it knows the fields vk decodes, arrays included, and that decoding
// follows it (a one-element array stays an array).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeField } from '../src/lib/vsphere/soap/decode.js';
import { generatedSchema } from '../src/lib/vsphere/soap/schema.generated.js';
import { fieldType } from '../src/lib/vsphere/soap/schema.js';
import { children, parseXml } from '../src/lib/vsphere/soap/xml.js';
import { GOVMOMI_VERSION } from './box/versions.js';

const repo = join(import.meta.dirname, '..');

const returnvals = (xml: string) => {
  const doc = parseXml(`<r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${xml}</r>`);
  return children(doc.r![0], 'returnval');
};

describe('generated vim25 schema', () => {
  it("comes from the box's govmomi", () => {
    const goMod = readFileSync(join(repo, 'scripts/vim25-schema/go.mod'), 'utf8');
    expect(goMod).toMatch(new RegExp(`^require github\\.com/vmware/govmomi ${GOVMOMI_VERSION}$`, 'm'));
    const generated = readFileSync(join(repo, 'src/lib/vsphere/soap/schema.generated.ts'), 'utf8');
    expect(generated.split('\n')[0]).toContain(`govmomi ${GOVMOMI_VERSION}'s types`);
  });

  it('marks PBM and CNS list fields as arrays', () => {
    expect(fieldType('CnsQueryResult', 'volumes')).toBe('CnsVolume[]');
    expect(fieldType('PbmDefaultCapabilityProfile', 'vvolType')).toBe('string[]');
    expect(fieldType('PbmCapabilityProfile', 'otherK8sCompliantNames')).toBe('string[]');
    expect(fieldType('CnsVolumeMetadata', 'entityMetadata')).toBe('CnsEntityMetadata[]');
  });

  it('knows numbers, booleans, dateTime and references, through base types', () => {
    expect(fieldType('PbmCapabilityProfile', 'creationTime')).toBe('dateTime');
    expect(fieldType('VmfsDatastoreInfo', 'freeSpace')).toBe('long');
    expect(fieldType('VmfsDatastoreInfo', 'vmfs')).toBe('HostVmfsVolume');
    expect(fieldType('HostVmfsVolume', 'capacity')).toBe('long');
    expect(fieldType('NotAuthenticated', 'object')).toBe('ManagedObjectReference');
    expect(fieldType('NotAuthenticated', 'faultCause')).toBe('LocalizedMethodFault');
    expect(fieldType('VsanConfigInfoEx', 'enabled')).toBe('boolean');
    expect(fieldType('TaskInfo', 'locked')).toBe('ManagedObjectReference[]');
  });

  it('leaves text fields out and only names types it declares', () => {
    expect(fieldType('CnsVolume', 'name')).toBeUndefined();
    expect(fieldType('TaskInfo', 'state')).toBeUndefined();
    for (const [name, type] of Object.entries(generatedSchema)) {
      if (type.base) expect(generatedSchema[type.base], `${name}'s base`).toBeDefined();
      for (const [field, kind] of Object.entries(type.fields)) {
        expect(kind, `${name}.${field}`).toMatch(/^\w+(\[\])?$/);
        expect(kind, `${name}.${field}`).not.toBe('string');
      }
    }
  });

  it('decodes one CNS volume as a one-element array, with its number fields', () => {
    const xml = `<returnval><volumes><volumeId><id>v-1</id></volumeId><name>pvc-1</name>
      <backingObjectDetails xsi:type="CnsBlockBackingDetails"><capacityInMb>1024</capacityInMb></backingObjectDetails>
      </volumes><cursor><offset>1</offset><limit>100</limit><totalRecords>1</totalRecords></cursor></returnval>`;
    const result = decodeField(returnvals(xml), 'CnsQueryResult') as {
      volumes: Array<{ volumeId: { id: string }; name: string; backingObjectDetails: { capacityInMb: number } }>;
      cursor: { totalRecords: number };
    };
    expect(result.volumes).toHaveLength(1);
    expect(result.volumes[0]!.volumeId.id).toBe('v-1');
    expect(result.volumes[0]!.backingObjectDetails.capacityInMb).toBe(1024);
    expect(result.cursor.totalRecords).toBe(1);
  });

  it('decodes one PBM profile as a one-element array, whatever its subtype', () => {
    const xml = `<returnval xsi:type="PbmCapabilityProfile"><profileId><uniqueId>p-1</uniqueId></profileId>
      <name>gold</name><creationTime>2024-01-01T00:00:00Z</creationTime><isDefault>false</isDefault>
      <otherK8sCompliantNames>gold-a</otherK8sCompliantNames></returnval>`;
    const profiles = decodeField(returnvals(xml), 'PbmProfile[]') as Array<Record<string, unknown>>;
    expect(profiles).toEqual([
      {
        _type: 'PbmCapabilityProfile',
        profileId: { uniqueId: 'p-1' },
        name: 'gold',
        creationTime: '2024-01-01T00:00:00Z',
        isDefault: false,
        otherK8sCompliantNames: ['gold-a'],
      },
    ]);
  });
});
