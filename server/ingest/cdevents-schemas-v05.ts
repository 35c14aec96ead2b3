// The official CDEvents v0.5.1 JSON schemas (./cdevents-schemas/v0.5.1, copied byte for byte from cdevents/spec, see its
// README): every event type of the release, the link schemas they reference, and the release's schema for custom
// (dev.cdeventsx.*) events. Static imports so the bundler ships them with the route handlers.
import artifactdeleted from "./cdevents-schemas/v0.5.1/artifactdeleted.json";
import artifactdownloaded from "./cdevents-schemas/v0.5.1/artifactdownloaded.json";
import artifactpackaged from "./cdevents-schemas/v0.5.1/artifactpackaged.json";
import artifactpublished from "./cdevents-schemas/v0.5.1/artifactpublished.json";
import artifactsigned from "./cdevents-schemas/v0.5.1/artifactsigned.json";
import branchcreated from "./cdevents-schemas/v0.5.1/branchcreated.json";
import branchdeleted from "./cdevents-schemas/v0.5.1/branchdeleted.json";
import buildfinished from "./cdevents-schemas/v0.5.1/buildfinished.json";
import buildqueued from "./cdevents-schemas/v0.5.1/buildqueued.json";
import buildstarted from "./cdevents-schemas/v0.5.1/buildstarted.json";
import changeabandoned from "./cdevents-schemas/v0.5.1/changeabandoned.json";
import changecreated from "./cdevents-schemas/v0.5.1/changecreated.json";
import changemerged from "./cdevents-schemas/v0.5.1/changemerged.json";
import changereviewed from "./cdevents-schemas/v0.5.1/changereviewed.json";
import changeupdated from "./cdevents-schemas/v0.5.1/changeupdated.json";
import environmentcreated from "./cdevents-schemas/v0.5.1/environmentcreated.json";
import environmentdeleted from "./cdevents-schemas/v0.5.1/environmentdeleted.json";
import environmentmodified from "./cdevents-schemas/v0.5.1/environmentmodified.json";
import incidentdetected from "./cdevents-schemas/v0.5.1/incidentdetected.json";
import incidentreported from "./cdevents-schemas/v0.5.1/incidentreported.json";
import incidentresolved from "./cdevents-schemas/v0.5.1/incidentresolved.json";
import pipelinerunfinished from "./cdevents-schemas/v0.5.1/pipelinerunfinished.json";
import pipelinerunqueued from "./cdevents-schemas/v0.5.1/pipelinerunqueued.json";
import pipelinerunstarted from "./cdevents-schemas/v0.5.1/pipelinerunstarted.json";
import repositorycreated from "./cdevents-schemas/v0.5.1/repositorycreated.json";
import repositorydeleted from "./cdevents-schemas/v0.5.1/repositorydeleted.json";
import repositorymodified from "./cdevents-schemas/v0.5.1/repositorymodified.json";
import servicedeployed from "./cdevents-schemas/v0.5.1/servicedeployed.json";
import servicepublished from "./cdevents-schemas/v0.5.1/servicepublished.json";
import serviceremoved from "./cdevents-schemas/v0.5.1/serviceremoved.json";
import servicerolledback from "./cdevents-schemas/v0.5.1/servicerolledback.json";
import serviceupgraded from "./cdevents-schemas/v0.5.1/serviceupgraded.json";
import taskrunfinished from "./cdevents-schemas/v0.5.1/taskrunfinished.json";
import taskrunstarted from "./cdevents-schemas/v0.5.1/taskrunstarted.json";
import testcaserunfinished from "./cdevents-schemas/v0.5.1/testcaserunfinished.json";
import testcaserunqueued from "./cdevents-schemas/v0.5.1/testcaserunqueued.json";
import testcaserunskipped from "./cdevents-schemas/v0.5.1/testcaserunskipped.json";
import testcaserunstarted from "./cdevents-schemas/v0.5.1/testcaserunstarted.json";
import testoutputpublished from "./cdevents-schemas/v0.5.1/testoutputpublished.json";
import testsuiterunfinished from "./cdevents-schemas/v0.5.1/testsuiterunfinished.json";
import testsuiterunqueued from "./cdevents-schemas/v0.5.1/testsuiterunqueued.json";
import testsuiterunstarted from "./cdevents-schemas/v0.5.1/testsuiterunstarted.json";
import ticketclosed from "./cdevents-schemas/v0.5.1/ticketclosed.json";
import ticketcreated from "./cdevents-schemas/v0.5.1/ticketcreated.json";
import ticketupdated from "./cdevents-schemas/v0.5.1/ticketupdated.json";
import link_embeddedlinkend from "./cdevents-schemas/v0.5.1/links/embeddedlinkend.json";
import link_embeddedlinkpath from "./cdevents-schemas/v0.5.1/links/embeddedlinkpath.json";
import link_embeddedlinkrelation from "./cdevents-schemas/v0.5.1/links/embeddedlinkrelation.json";
import link_embeddedlinksarray from "./cdevents-schemas/v0.5.1/links/embeddedlinksarray.json";
import link_linkend from "./cdevents-schemas/v0.5.1/links/linkend.json";
import link_linkpath from "./cdevents-schemas/v0.5.1/links/linkpath.json";
import link_linkrelation from "./cdevents-schemas/v0.5.1/links/linkrelation.json";
import link_linkstart from "./cdevents-schemas/v0.5.1/links/linkstart.json";
import custom from "./cdevents-schemas/v0.5.1/custom.json";

export const V05_SCHEMAS = {
  events: [
    artifactdeleted,
    artifactdownloaded,
    artifactpackaged,
    artifactpublished,
    artifactsigned,
    branchcreated,
    branchdeleted,
    buildfinished,
    buildqueued,
    buildstarted,
    changeabandoned,
    changecreated,
    changemerged,
    changereviewed,
    changeupdated,
    environmentcreated,
    environmentdeleted,
    environmentmodified,
    incidentdetected,
    incidentreported,
    incidentresolved,
    pipelinerunfinished,
    pipelinerunqueued,
    pipelinerunstarted,
    repositorycreated,
    repositorydeleted,
    repositorymodified,
    servicedeployed,
    servicepublished,
    serviceremoved,
    servicerolledback,
    serviceupgraded,
    taskrunfinished,
    taskrunstarted,
    testcaserunfinished,
    testcaserunqueued,
    testcaserunskipped,
    testcaserunstarted,
    testoutputpublished,
    testsuiterunfinished,
    testsuiterunqueued,
    testsuiterunstarted,
    ticketclosed,
    ticketcreated,
    ticketupdated,
  ] as object[],
  links: [
    link_embeddedlinkend,
    link_embeddedlinkpath,
    link_embeddedlinkrelation,
    link_embeddedlinksarray,
    link_linkend,
    link_linkpath,
    link_linkrelation,
    link_linkstart,
  ] as object[],
  custom: custom as object,
};
