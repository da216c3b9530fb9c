// Wire types of the vim25 fields vk reads: which fields are numbers,
// booleans, references, nested data objects or arrays. A field not listed
// decodes by shape (text → string, typed text → reference, else object;
// repeated → array). Add a line here when a new command reads a new type.

export interface TypeSchema {
  base?: string;
  fields: Record<string, string>;
}

const MoRef = 'ManagedObjectReference';

export const schema: Record<string, TypeSchema> = {
  ServiceContent: {
    fields: { about: 'AboutInfo' },
  },
  AboutInfo: { fields: {} },
  UserSession: { fields: { loginTime: 'dateTime', lastActiveTime: 'dateTime', callCount: 'long' } },
  ObjectContent: { fields: { obj: MoRef, propSet: 'DynamicProperty[]', missingSet: 'MissingProperty[]' } },
  DynamicProperty: { fields: { val: 'anyType' } },
  MissingProperty: { fields: { fault: 'LocalizedMethodFault' } },
  LocalizedMethodFault: { fields: { fault: 'MethodFault' } },
  MethodFault: { fields: { faultCause: 'LocalizedMethodFault', faultMessage: 'LocalizableMessage[]' } },
  LocalizableMessage: { fields: { arg: 'KeyAnyValue[]' } },
  KeyAnyValue: { fields: { value: 'anyType' } },
  RetrieveResult: { fields: { objects: 'ObjectContent[]' } },
  UpdateSet: { fields: { filterSet: 'PropertyFilterUpdate[]', truncated: 'boolean' } },
  PropertyFilterUpdate: { fields: { filter: MoRef, objectSet: 'ObjectUpdate[]', missingSet: 'MissingObject[]' } },
  MissingObject: { fields: { obj: MoRef, fault: 'LocalizedMethodFault' } },
  ObjectUpdate: { fields: { obj: MoRef, changeSet: 'PropertyChange[]', missingSet: 'MissingProperty[]' } },
  PropertyChange: { fields: { val: 'anyType' } },
  TaskInfo: {
    fields: {
      task: MoRef,
      entity: MoRef,
      locked: `${MoRef}[]`,
      cancelled: 'boolean',
      cancelable: 'boolean',
      error: 'LocalizedMethodFault',
      result: 'anyType',
      progress: 'int',
      queueTime: 'dateTime',
      startTime: 'dateTime',
      completeTime: 'dateTime',
      eventChainId: 'int',
      parentTaskKey: 'string',
      rootTaskKey: 'string',
    },
  },
  OptionValue: { fields: { value: 'anyType' } },
  DatastoreSummary: {
    fields: {
      datastore: MoRef,
      capacity: 'long',
      freeSpace: 'long',
      uncommitted: 'long',
      accessible: 'boolean',
      multipleHostAccess: 'boolean',
    },
  },
  DatastoreInfo: {
    fields: {
      freeSpace: 'long',
      maxFileSize: 'long',
      maxVirtualDiskCapacity: 'long',
      maxMemoryFileSize: 'long',
      timestamp: 'dateTime',
    },
  },
  LocalDatastoreInfo: { base: 'DatastoreInfo', fields: {} },
  NasDatastoreInfo: { base: 'DatastoreInfo', fields: { nas: 'HostNasVolume' } },
  VmfsDatastoreInfo: {
    base: 'DatastoreInfo',
    fields: { maxPhysicalRDMFileSize: 'long', maxVirtualRDMFileSize: 'long', vmfs: 'HostVmfsVolume' },
  },
  VsanDatastoreInfo: { base: 'DatastoreInfo', fields: {} },
  VvolDatastoreInfo: { base: 'DatastoreInfo', fields: {} },
  PMemDatastoreInfo: { base: 'DatastoreInfo', fields: {} },
  HostFileSystemVolume: { fields: { capacity: 'long' } },
  HostNasVolume: { base: 'HostFileSystemVolume', fields: { remoteHostNames: 'string[]' } },
  HostVmfsVolume: {
    base: 'HostFileSystemVolume',
    fields: {
      blockSizeMb: 'int',
      blockSize: 'int',
      unmapGranularity: 'int',
      maxBlocks: 'int',
      majorVersion: 'int',
      extent: 'HostScsiDiskPartition[]',
      vmfsUpgradable: 'boolean',
      ssd: 'boolean',
      local: 'boolean',
    },
  },
  HostScsiDiskPartition: { fields: { partition: 'int' } },
  DatastoreHostMount: { fields: { key: MoRef, mountInfo: 'HostMountInfo' } },
  HostMountInfo: { fields: { mounted: 'boolean', accessible: 'boolean', vmknicActive: 'boolean' } },
  // The guest's NICs as VMware Tools report them (guest.net: node addresses).
  GuestNicInfo: {
    fields: { ipAddress: 'string[]', connected: 'boolean', deviceConfigId: 'int', ipConfig: 'NetIpConfigInfo' },
  },
  NetIpConfigInfo: { fields: { ipAddress: 'NetIpConfigInfoIpAddress[]' } },
  NetIpConfigInfoIpAddress: { fields: { prefixLength: 'int', lifetime: 'dateTime' } },
  // AuthorizationManager and UserDirectory (vk roles).
  AuthorizationRole: { fields: { roleId: 'int', system: 'boolean', privilege: 'string[]' } },
  Permission: { fields: { entity: MoRef, group: 'boolean', roleId: 'int', propagate: 'boolean' } },
  UserSearchResult: { fields: { group: 'boolean' } },
  // vSAN management API (urn:vsan at /vsanHealth): VsanClusterGetConfig.
  VsanClusterConfigInfo: { fields: { enabled: 'boolean', vsanEsaEnabled: 'boolean' } },
  VsanConfigInfoEx: { base: 'VsanClusterConfigInfo', fields: { fileServiceConfig: 'VsanFileServiceConfig' } },
  VsanFileServiceConfig: { fields: { enabled: 'boolean', network: MoRef } },
  // Faults whose fields users see in messages.
  NoPermission: { base: 'SecurityError', fields: { object: MoRef, missingPrivileges: 'EntityPrivilege[]' } },
  EntityPrivilege: { fields: { entity: MoRef, privAvailability: 'PrivilegeAvailability[]' } },
  PrivilegeAvailability: { fields: { isGranted: 'boolean' } },
  SecurityError: { base: 'MethodFault', fields: {} },
  NotAuthenticated: { base: 'NoPermission', fields: {} },
  InvalidLogin: { base: 'MethodFault', fields: {} },
  ManagedObjectNotFound: { base: 'MethodFault', fields: { obj: MoRef } },
  InvalidArgument: { base: 'MethodFault', fields: {} },
  InvalidState: { base: 'MethodFault', fields: {} },
};

/** Element type of a vim25 `ArrayOfX` wrapper type. */
export function arrayElementType(type: string): string | undefined {
  if (!type.startsWith('ArrayOf')) return undefined;
  const item = type.slice('ArrayOf'.length);
  const primitive: Record<string, string> = {
    String: 'string',
    Int: 'int',
    Long: 'long',
    Short: 'short',
    Byte: 'byte',
    Boolean: 'boolean',
    Double: 'double',
    Float: 'float',
    DateTime: 'dateTime',
    AnyType: 'anyType',
    ManagedObjectReference: MoRef,
  };
  return primitive[item] ?? item;
}

/** The declared wire type of `type.field`, following base types. */
export function fieldType(type: string | undefined, field: string): string | undefined {
  for (let t = type; t; t = schema[t]?.base) {
    const spec = schema[t]?.fields[field];
    if (spec) return spec;
    if (!schema[t]) return undefined;
  }
  return undefined;
}
