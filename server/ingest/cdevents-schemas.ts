// The official CDEvents JSON schemas of the releases Pier validates (./cdevents-schemas/v0.4.1 and v0.5.1, copied byte
// for byte from cdevents/spec, see its README): every event type of a release, the link schemas they reference, and
// the release's schema for custom (dev.cdeventsx.*) events. Both releases have the same files; only the folder
// differs. The imports are static (one line per file, which TypeScript cannot generate) so the bundler ships the
// schemas with the route handlers; everything else — which files make a release, in which order — is said once, in
// schemaSet below, and a release missing a file fails the type-check.

import v04_artifactdeleted from "./cdevents-schemas/v0.4.1/artifactdeleted.json";
import v04_artifactdownloaded from "./cdevents-schemas/v0.4.1/artifactdownloaded.json";
import v04_artifactpackaged from "./cdevents-schemas/v0.4.1/artifactpackaged.json";
import v04_artifactpublished from "./cdevents-schemas/v0.4.1/artifactpublished.json";
import v04_artifactsigned from "./cdevents-schemas/v0.4.1/artifactsigned.json";
import v04_branchcreated from "./cdevents-schemas/v0.4.1/branchcreated.json";
import v04_branchdeleted from "./cdevents-schemas/v0.4.1/branchdeleted.json";
import v04_buildfinished from "./cdevents-schemas/v0.4.1/buildfinished.json";
import v04_buildqueued from "./cdevents-schemas/v0.4.1/buildqueued.json";
import v04_buildstarted from "./cdevents-schemas/v0.4.1/buildstarted.json";
import v04_changeabandoned from "./cdevents-schemas/v0.4.1/changeabandoned.json";
import v04_changecreated from "./cdevents-schemas/v0.4.1/changecreated.json";
import v04_changemerged from "./cdevents-schemas/v0.4.1/changemerged.json";
import v04_changereviewed from "./cdevents-schemas/v0.4.1/changereviewed.json";
import v04_changeupdated from "./cdevents-schemas/v0.4.1/changeupdated.json";
import v04_environmentcreated from "./cdevents-schemas/v0.4.1/environmentcreated.json";
import v04_environmentdeleted from "./cdevents-schemas/v0.4.1/environmentdeleted.json";
import v04_environmentmodified from "./cdevents-schemas/v0.4.1/environmentmodified.json";
import v04_incidentdetected from "./cdevents-schemas/v0.4.1/incidentdetected.json";
import v04_incidentreported from "./cdevents-schemas/v0.4.1/incidentreported.json";
import v04_incidentresolved from "./cdevents-schemas/v0.4.1/incidentresolved.json";
import v04_pipelinerunfinished from "./cdevents-schemas/v0.4.1/pipelinerunfinished.json";
import v04_pipelinerunqueued from "./cdevents-schemas/v0.4.1/pipelinerunqueued.json";
import v04_pipelinerunstarted from "./cdevents-schemas/v0.4.1/pipelinerunstarted.json";
import v04_repositorycreated from "./cdevents-schemas/v0.4.1/repositorycreated.json";
import v04_repositorydeleted from "./cdevents-schemas/v0.4.1/repositorydeleted.json";
import v04_repositorymodified from "./cdevents-schemas/v0.4.1/repositorymodified.json";
import v04_servicedeployed from "./cdevents-schemas/v0.4.1/servicedeployed.json";
import v04_servicepublished from "./cdevents-schemas/v0.4.1/servicepublished.json";
import v04_serviceremoved from "./cdevents-schemas/v0.4.1/serviceremoved.json";
import v04_servicerolledback from "./cdevents-schemas/v0.4.1/servicerolledback.json";
import v04_serviceupgraded from "./cdevents-schemas/v0.4.1/serviceupgraded.json";
import v04_taskrunfinished from "./cdevents-schemas/v0.4.1/taskrunfinished.json";
import v04_taskrunstarted from "./cdevents-schemas/v0.4.1/taskrunstarted.json";
import v04_testcaserunfinished from "./cdevents-schemas/v0.4.1/testcaserunfinished.json";
import v04_testcaserunqueued from "./cdevents-schemas/v0.4.1/testcaserunqueued.json";
import v04_testcaserunskipped from "./cdevents-schemas/v0.4.1/testcaserunskipped.json";
import v04_testcaserunstarted from "./cdevents-schemas/v0.4.1/testcaserunstarted.json";
import v04_testoutputpublished from "./cdevents-schemas/v0.4.1/testoutputpublished.json";
import v04_testsuiterunfinished from "./cdevents-schemas/v0.4.1/testsuiterunfinished.json";
import v04_testsuiterunqueued from "./cdevents-schemas/v0.4.1/testsuiterunqueued.json";
import v04_testsuiterunstarted from "./cdevents-schemas/v0.4.1/testsuiterunstarted.json";
import v04_ticketclosed from "./cdevents-schemas/v0.4.1/ticketclosed.json";
import v04_ticketcreated from "./cdevents-schemas/v0.4.1/ticketcreated.json";
import v04_ticketupdated from "./cdevents-schemas/v0.4.1/ticketupdated.json";
import v04_link_embeddedlinkend from "./cdevents-schemas/v0.4.1/links/embeddedlinkend.json";
import v04_link_embeddedlinkpath from "./cdevents-schemas/v0.4.1/links/embeddedlinkpath.json";
import v04_link_embeddedlinkrelation from "./cdevents-schemas/v0.4.1/links/embeddedlinkrelation.json";
import v04_link_embeddedlinksarray from "./cdevents-schemas/v0.4.1/links/embeddedlinksarray.json";
import v04_link_linkend from "./cdevents-schemas/v0.4.1/links/linkend.json";
import v04_link_linkpath from "./cdevents-schemas/v0.4.1/links/linkpath.json";
import v04_link_linkrelation from "./cdevents-schemas/v0.4.1/links/linkrelation.json";
import v04_link_linkstart from "./cdevents-schemas/v0.4.1/links/linkstart.json";
import v04_custom from "./cdevents-schemas/v0.4.1/custom.json";

import v05_artifactdeleted from "./cdevents-schemas/v0.5.1/artifactdeleted.json";
import v05_artifactdownloaded from "./cdevents-schemas/v0.5.1/artifactdownloaded.json";
import v05_artifactpackaged from "./cdevents-schemas/v0.5.1/artifactpackaged.json";
import v05_artifactpublished from "./cdevents-schemas/v0.5.1/artifactpublished.json";
import v05_artifactsigned from "./cdevents-schemas/v0.5.1/artifactsigned.json";
import v05_branchcreated from "./cdevents-schemas/v0.5.1/branchcreated.json";
import v05_branchdeleted from "./cdevents-schemas/v0.5.1/branchdeleted.json";
import v05_buildfinished from "./cdevents-schemas/v0.5.1/buildfinished.json";
import v05_buildqueued from "./cdevents-schemas/v0.5.1/buildqueued.json";
import v05_buildstarted from "./cdevents-schemas/v0.5.1/buildstarted.json";
import v05_changeabandoned from "./cdevents-schemas/v0.5.1/changeabandoned.json";
import v05_changecreated from "./cdevents-schemas/v0.5.1/changecreated.json";
import v05_changemerged from "./cdevents-schemas/v0.5.1/changemerged.json";
import v05_changereviewed from "./cdevents-schemas/v0.5.1/changereviewed.json";
import v05_changeupdated from "./cdevents-schemas/v0.5.1/changeupdated.json";
import v05_environmentcreated from "./cdevents-schemas/v0.5.1/environmentcreated.json";
import v05_environmentdeleted from "./cdevents-schemas/v0.5.1/environmentdeleted.json";
import v05_environmentmodified from "./cdevents-schemas/v0.5.1/environmentmodified.json";
import v05_incidentdetected from "./cdevents-schemas/v0.5.1/incidentdetected.json";
import v05_incidentreported from "./cdevents-schemas/v0.5.1/incidentreported.json";
import v05_incidentresolved from "./cdevents-schemas/v0.5.1/incidentresolved.json";
import v05_pipelinerunfinished from "./cdevents-schemas/v0.5.1/pipelinerunfinished.json";
import v05_pipelinerunqueued from "./cdevents-schemas/v0.5.1/pipelinerunqueued.json";
import v05_pipelinerunstarted from "./cdevents-schemas/v0.5.1/pipelinerunstarted.json";
import v05_repositorycreated from "./cdevents-schemas/v0.5.1/repositorycreated.json";
import v05_repositorydeleted from "./cdevents-schemas/v0.5.1/repositorydeleted.json";
import v05_repositorymodified from "./cdevents-schemas/v0.5.1/repositorymodified.json";
import v05_servicedeployed from "./cdevents-schemas/v0.5.1/servicedeployed.json";
import v05_servicepublished from "./cdevents-schemas/v0.5.1/servicepublished.json";
import v05_serviceremoved from "./cdevents-schemas/v0.5.1/serviceremoved.json";
import v05_servicerolledback from "./cdevents-schemas/v0.5.1/servicerolledback.json";
import v05_serviceupgraded from "./cdevents-schemas/v0.5.1/serviceupgraded.json";
import v05_taskrunfinished from "./cdevents-schemas/v0.5.1/taskrunfinished.json";
import v05_taskrunstarted from "./cdevents-schemas/v0.5.1/taskrunstarted.json";
import v05_testcaserunfinished from "./cdevents-schemas/v0.5.1/testcaserunfinished.json";
import v05_testcaserunqueued from "./cdevents-schemas/v0.5.1/testcaserunqueued.json";
import v05_testcaserunskipped from "./cdevents-schemas/v0.5.1/testcaserunskipped.json";
import v05_testcaserunstarted from "./cdevents-schemas/v0.5.1/testcaserunstarted.json";
import v05_testoutputpublished from "./cdevents-schemas/v0.5.1/testoutputpublished.json";
import v05_testsuiterunfinished from "./cdevents-schemas/v0.5.1/testsuiterunfinished.json";
import v05_testsuiterunqueued from "./cdevents-schemas/v0.5.1/testsuiterunqueued.json";
import v05_testsuiterunstarted from "./cdevents-schemas/v0.5.1/testsuiterunstarted.json";
import v05_ticketclosed from "./cdevents-schemas/v0.5.1/ticketclosed.json";
import v05_ticketcreated from "./cdevents-schemas/v0.5.1/ticketcreated.json";
import v05_ticketupdated from "./cdevents-schemas/v0.5.1/ticketupdated.json";
import v05_link_embeddedlinkend from "./cdevents-schemas/v0.5.1/links/embeddedlinkend.json";
import v05_link_embeddedlinkpath from "./cdevents-schemas/v0.5.1/links/embeddedlinkpath.json";
import v05_link_embeddedlinkrelation from "./cdevents-schemas/v0.5.1/links/embeddedlinkrelation.json";
import v05_link_embeddedlinksarray from "./cdevents-schemas/v0.5.1/links/embeddedlinksarray.json";
import v05_link_linkend from "./cdevents-schemas/v0.5.1/links/linkend.json";
import v05_link_linkpath from "./cdevents-schemas/v0.5.1/links/linkpath.json";
import v05_link_linkrelation from "./cdevents-schemas/v0.5.1/links/linkrelation.json";
import v05_link_linkstart from "./cdevents-schemas/v0.5.1/links/linkstart.json";
import v05_custom from "./cdevents-schemas/v0.5.1/custom.json";

const EVENT_TYPES = [
  "artifactdeleted",
  "artifactdownloaded",
  "artifactpackaged",
  "artifactpublished",
  "artifactsigned",
  "branchcreated",
  "branchdeleted",
  "buildfinished",
  "buildqueued",
  "buildstarted",
  "changeabandoned",
  "changecreated",
  "changemerged",
  "changereviewed",
  "changeupdated",
  "environmentcreated",
  "environmentdeleted",
  "environmentmodified",
  "incidentdetected",
  "incidentreported",
  "incidentresolved",
  "pipelinerunfinished",
  "pipelinerunqueued",
  "pipelinerunstarted",
  "repositorycreated",
  "repositorydeleted",
  "repositorymodified",
  "servicedeployed",
  "servicepublished",
  "serviceremoved",
  "servicerolledback",
  "serviceupgraded",
  "taskrunfinished",
  "taskrunstarted",
  "testcaserunfinished",
  "testcaserunqueued",
  "testcaserunskipped",
  "testcaserunstarted",
  "testoutputpublished",
  "testsuiterunfinished",
  "testsuiterunqueued",
  "testsuiterunstarted",
  "ticketclosed",
  "ticketcreated",
  "ticketupdated",
] as const;
const LINK_SCHEMAS = [
  "embeddedlinkend",
  "embeddedlinkpath",
  "embeddedlinkrelation",
  "embeddedlinksarray",
  "linkend",
  "linkpath",
  "linkrelation",
  "linkstart",
] as const;

type ReleaseFiles = Record<(typeof EVENT_TYPES)[number], object> & { links: Record<(typeof LINK_SCHEMAS)[number], object>; custom: object };

export type CdeventsSchemaSet = { events: object[]; links: object[]; custom: object };

/** One release's schemas as the validator (./cdevents.ts) loads them. */
function schemaSet(files: ReleaseFiles): CdeventsSchemaSet {
  return { events: EVENT_TYPES.map((t) => files[t]), links: LINK_SCHEMAS.map((l) => files.links[l]), custom: files.custom };
}

export const V04_SCHEMAS = schemaSet({
  artifactdeleted: v04_artifactdeleted,
  artifactdownloaded: v04_artifactdownloaded,
  artifactpackaged: v04_artifactpackaged,
  artifactpublished: v04_artifactpublished,
  artifactsigned: v04_artifactsigned,
  branchcreated: v04_branchcreated,
  branchdeleted: v04_branchdeleted,
  buildfinished: v04_buildfinished,
  buildqueued: v04_buildqueued,
  buildstarted: v04_buildstarted,
  changeabandoned: v04_changeabandoned,
  changecreated: v04_changecreated,
  changemerged: v04_changemerged,
  changereviewed: v04_changereviewed,
  changeupdated: v04_changeupdated,
  environmentcreated: v04_environmentcreated,
  environmentdeleted: v04_environmentdeleted,
  environmentmodified: v04_environmentmodified,
  incidentdetected: v04_incidentdetected,
  incidentreported: v04_incidentreported,
  incidentresolved: v04_incidentresolved,
  pipelinerunfinished: v04_pipelinerunfinished,
  pipelinerunqueued: v04_pipelinerunqueued,
  pipelinerunstarted: v04_pipelinerunstarted,
  repositorycreated: v04_repositorycreated,
  repositorydeleted: v04_repositorydeleted,
  repositorymodified: v04_repositorymodified,
  servicedeployed: v04_servicedeployed,
  servicepublished: v04_servicepublished,
  serviceremoved: v04_serviceremoved,
  servicerolledback: v04_servicerolledback,
  serviceupgraded: v04_serviceupgraded,
  taskrunfinished: v04_taskrunfinished,
  taskrunstarted: v04_taskrunstarted,
  testcaserunfinished: v04_testcaserunfinished,
  testcaserunqueued: v04_testcaserunqueued,
  testcaserunskipped: v04_testcaserunskipped,
  testcaserunstarted: v04_testcaserunstarted,
  testoutputpublished: v04_testoutputpublished,
  testsuiterunfinished: v04_testsuiterunfinished,
  testsuiterunqueued: v04_testsuiterunqueued,
  testsuiterunstarted: v04_testsuiterunstarted,
  ticketclosed: v04_ticketclosed,
  ticketcreated: v04_ticketcreated,
  ticketupdated: v04_ticketupdated,
  links: {
    embeddedlinkend: v04_link_embeddedlinkend,
    embeddedlinkpath: v04_link_embeddedlinkpath,
    embeddedlinkrelation: v04_link_embeddedlinkrelation,
    embeddedlinksarray: v04_link_embeddedlinksarray,
    linkend: v04_link_linkend,
    linkpath: v04_link_linkpath,
    linkrelation: v04_link_linkrelation,
    linkstart: v04_link_linkstart,
  },
  custom: v04_custom,
});

export const V05_SCHEMAS = schemaSet({
  artifactdeleted: v05_artifactdeleted,
  artifactdownloaded: v05_artifactdownloaded,
  artifactpackaged: v05_artifactpackaged,
  artifactpublished: v05_artifactpublished,
  artifactsigned: v05_artifactsigned,
  branchcreated: v05_branchcreated,
  branchdeleted: v05_branchdeleted,
  buildfinished: v05_buildfinished,
  buildqueued: v05_buildqueued,
  buildstarted: v05_buildstarted,
  changeabandoned: v05_changeabandoned,
  changecreated: v05_changecreated,
  changemerged: v05_changemerged,
  changereviewed: v05_changereviewed,
  changeupdated: v05_changeupdated,
  environmentcreated: v05_environmentcreated,
  environmentdeleted: v05_environmentdeleted,
  environmentmodified: v05_environmentmodified,
  incidentdetected: v05_incidentdetected,
  incidentreported: v05_incidentreported,
  incidentresolved: v05_incidentresolved,
  pipelinerunfinished: v05_pipelinerunfinished,
  pipelinerunqueued: v05_pipelinerunqueued,
  pipelinerunstarted: v05_pipelinerunstarted,
  repositorycreated: v05_repositorycreated,
  repositorydeleted: v05_repositorydeleted,
  repositorymodified: v05_repositorymodified,
  servicedeployed: v05_servicedeployed,
  servicepublished: v05_servicepublished,
  serviceremoved: v05_serviceremoved,
  servicerolledback: v05_servicerolledback,
  serviceupgraded: v05_serviceupgraded,
  taskrunfinished: v05_taskrunfinished,
  taskrunstarted: v05_taskrunstarted,
  testcaserunfinished: v05_testcaserunfinished,
  testcaserunqueued: v05_testcaserunqueued,
  testcaserunskipped: v05_testcaserunskipped,
  testcaserunstarted: v05_testcaserunstarted,
  testoutputpublished: v05_testoutputpublished,
  testsuiterunfinished: v05_testsuiterunfinished,
  testsuiterunqueued: v05_testsuiterunqueued,
  testsuiterunstarted: v05_testsuiterunstarted,
  ticketclosed: v05_ticketclosed,
  ticketcreated: v05_ticketcreated,
  ticketupdated: v05_ticketupdated,
  links: {
    embeddedlinkend: v05_link_embeddedlinkend,
    embeddedlinkpath: v05_link_embeddedlinkpath,
    embeddedlinkrelation: v05_link_embeddedlinkrelation,
    embeddedlinksarray: v05_link_embeddedlinksarray,
    linkend: v05_link_linkend,
    linkpath: v05_link_linkpath,
    linkrelation: v05_link_linkrelation,
    linkstart: v05_link_linkstart,
  },
  custom: v05_custom,
});
