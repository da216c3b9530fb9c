// vim25 types vk reads and writes, named as in the vSphere API reference.
// Only the fields vk uses are declared; decode.ts knows their wire types
// (schema.ts) so numbers, booleans and arrays arrive as such.

export interface ManagedObjectReference {
  type: string;
  value: string;
}
export type MoRef = ManagedObjectReference;

export function sameRef(a: MoRef | undefined, b: MoRef | undefined): boolean {
  return a !== undefined && b !== undefined && a.type === b.type && a.value === b.value;
}

/** `Datastore:datastore-12`, a stable key for maps. */
export function refKey(ref: MoRef): string {
  return `${ref.type}:${ref.value}`;
}

/** The reference a refKey was made from. */
export function refOfKey(key: string): MoRef {
  const i = key.indexOf(':');
  return { type: key.slice(0, i), value: key.slice(i + 1) };
}

export interface AboutInfo {
  name: string;
  fullName: string;
  vendor: string;
  version: string;
  build: string;
  osType?: string;
  productLineId?: string;
  apiType: string;
  apiVersion: string;
  instanceUuid?: string;
  licenseProductName?: string;
  licenseProductVersion?: string;
}

export interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  viewManager?: MoRef;
  about: AboutInfo;
  setting?: MoRef;
  userDirectory?: MoRef;
  sessionManager?: MoRef;
  authorizationManager?: MoRef;
  taskManager?: MoRef;
  searchIndex?: MoRef;
  fileManager?: MoRef;
  customFieldsManager?: MoRef;
  virtualDiskManager?: MoRef;
  storageResourceManager?: MoRef;
  [manager: string]: unknown;
}

export interface UserSession {
  key: string;
  userName: string;
  fullName?: string;
  loginTime?: string;
  lastActiveTime?: string;
  ipAddress?: string;
  userAgent?: string;
}

export interface LocalizedMethodFault {
  fault: MethodFault;
  localizedMessage?: string;
}

/** A vim25 fault: `_type` names it (InvalidLogin, NoPermission, …). */
export interface MethodFault {
  _type?: string;
  faultCause?: LocalizedMethodFault;
  faultMessage?: Array<{ key: string; message?: string }>;
  [field: string]: unknown;
}

interface DynamicProperty {
  name: string;
  val: unknown;
}

export interface MissingProperty {
  path: string;
  fault: LocalizedMethodFault;
}

export interface ObjectContent {
  obj: MoRef;
  propSet?: DynamicProperty[];
  missingSet?: MissingProperty[];
}

export interface RetrieveResult {
  token?: string;
  objects: ObjectContent[];
}

interface PropertyChange {
  name: string;
  op: 'add' | 'remove' | 'assign' | 'indirectRemove';
  val?: unknown;
}

export interface ObjectUpdate {
  kind: 'modify' | 'enter' | 'leave';
  obj: MoRef;
  changeSet?: PropertyChange[];
  missingSet?: MissingProperty[];
}

interface PropertyFilterUpdate {
  filter: MoRef;
  objectSet?: ObjectUpdate[];
}

export interface UpdateSet {
  version: string;
  filterSet?: PropertyFilterUpdate[];
  truncated?: boolean;
}

type TaskInfoState = 'queued' | 'running' | 'success' | 'error';

export interface TaskInfo {
  key: string;
  task: MoRef;
  name?: string;
  descriptionId?: string;
  entity?: MoRef;
  entityName?: string;
  state: TaskInfoState;
  error?: LocalizedMethodFault;
  result?: unknown;
  progress?: number;
}

export interface OptionValue {
  _type?: string;
  key: string;
  value?: unknown;
}

export interface DatastoreSummary {
  datastore?: MoRef;
  name: string;
  url: string;
  capacity: number;
  freeSpace: number;
  uncommitted?: number;
  accessible: boolean;
  multipleHostAccess?: boolean;
  type: string;
  maintenanceMode?: string;
}

interface HostNasVolume {
  type: string;
  name: string;
  capacity: number;
  remoteHost: string;
  remotePath: string;
  remoteHostNames?: string[];
  protocolType?: string;
}

export interface DatastoreInfo {
  _type?: string;
  name: string;
  url: string;
  freeSpace: number;
  maxFileSize?: number;
  nas?: HostNasVolume;
  vmfs?: { name: string; uuid?: string; capacity: number; local?: boolean; ssd?: boolean; version?: string };
  path?: string;
}

interface HostMountInfo {
  path?: string;
  accessMode: string;
  mounted?: boolean;
  accessible?: boolean;
  inaccessibleReason?: string;
}

export interface DatastoreHostMount {
  key: MoRef;
  mountInfo: HostMountInfo;
}

export interface SelectionSpec {
  _type?: 'SelectionSpec' | 'TraversalSpec';
  name?: string;
}

export interface TraversalSpec extends SelectionSpec {
  _type: 'TraversalSpec';
  type: string;
  path: string;
  skip?: boolean;
  selectSet?: SelectionSpec[];
}

interface PropertySpec {
  type: string;
  all?: boolean;
  pathSet?: string[];
}

interface ObjectSpec {
  obj: MoRef;
  skip?: boolean;
  selectSet?: SelectionSpec[];
}

export interface PropertyFilterSpec {
  propSet: PropertySpec[];
  objectSet: ObjectSpec[];
  reportMissingObjectsInResults?: boolean;
}
