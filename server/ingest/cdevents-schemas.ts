// The official CDEvents schemas Pier validates against (copied in ./cdevents-schemas, see its README).
// Static imports so the bundler ships them with the route handlers.

import v04_servicedeployed from "./cdevents-schemas/v0.4.1/servicedeployed.json";
import v04_serviceupgraded from "./cdevents-schemas/v0.4.1/serviceupgraded.json";
import v04_servicerolledback from "./cdevents-schemas/v0.4.1/servicerolledback.json";
import v04_changemerged from "./cdevents-schemas/v0.4.1/changemerged.json";
import v04_changecreated from "./cdevents-schemas/v0.4.1/changecreated.json";
import v04_pipelinerunfinished from "./cdevents-schemas/v0.4.1/pipelinerunfinished.json";
import v04_incidentdetected from "./cdevents-schemas/v0.4.1/incidentdetected.json";
import v04_incidentreported from "./cdevents-schemas/v0.4.1/incidentreported.json";
import v04_incidentresolved from "./cdevents-schemas/v0.4.1/incidentresolved.json";
import v04_link_embeddedlinkend from "./cdevents-schemas/v0.4.1/links/embeddedlinkend.json";
import v04_link_embeddedlinkpath from "./cdevents-schemas/v0.4.1/links/embeddedlinkpath.json";
import v04_link_embeddedlinkrelation from "./cdevents-schemas/v0.4.1/links/embeddedlinkrelation.json";
import v04_link_embeddedlinksarray from "./cdevents-schemas/v0.4.1/links/embeddedlinksarray.json";
import v04_link_linkend from "./cdevents-schemas/v0.4.1/links/linkend.json";
import v04_link_linkpath from "./cdevents-schemas/v0.4.1/links/linkpath.json";
import v04_link_linkrelation from "./cdevents-schemas/v0.4.1/links/linkrelation.json";
import v04_link_linkstart from "./cdevents-schemas/v0.4.1/links/linkstart.json";
import v05_servicedeployed from "./cdevents-schemas/v0.5.1/servicedeployed.json";
import v05_serviceupgraded from "./cdevents-schemas/v0.5.1/serviceupgraded.json";
import v05_servicerolledback from "./cdevents-schemas/v0.5.1/servicerolledback.json";
import v05_changemerged from "./cdevents-schemas/v0.5.1/changemerged.json";
import v05_changecreated from "./cdevents-schemas/v0.5.1/changecreated.json";
import v05_pipelinerunfinished from "./cdevents-schemas/v0.5.1/pipelinerunfinished.json";
import v05_incidentdetected from "./cdevents-schemas/v0.5.1/incidentdetected.json";
import v05_incidentreported from "./cdevents-schemas/v0.5.1/incidentreported.json";
import v05_incidentresolved from "./cdevents-schemas/v0.5.1/incidentresolved.json";
import v05_link_embeddedlinkend from "./cdevents-schemas/v0.5.1/links/embeddedlinkend.json";
import v05_link_embeddedlinkpath from "./cdevents-schemas/v0.5.1/links/embeddedlinkpath.json";
import v05_link_embeddedlinkrelation from "./cdevents-schemas/v0.5.1/links/embeddedlinkrelation.json";
import v05_link_embeddedlinksarray from "./cdevents-schemas/v0.5.1/links/embeddedlinksarray.json";
import v05_link_linkend from "./cdevents-schemas/v0.5.1/links/linkend.json";
import v05_link_linkpath from "./cdevents-schemas/v0.5.1/links/linkpath.json";
import v05_link_linkrelation from "./cdevents-schemas/v0.5.1/links/linkrelation.json";
import v05_link_linkstart from "./cdevents-schemas/v0.5.1/links/linkstart.json";

/** CDEvents v0.4.1: event schemas, then the link schemas they reference. */
export const V04_EVENT_SCHEMAS: object[] = [
  v04_servicedeployed,
  v04_serviceupgraded,
  v04_servicerolledback,
  v04_changemerged,
  v04_changecreated,
  v04_pipelinerunfinished,
  v04_incidentdetected,
  v04_incidentreported,
  v04_incidentresolved,
];
export const V04_LINK_SCHEMAS: object[] = [
  v04_link_embeddedlinkend,
  v04_link_embeddedlinkpath,
  v04_link_embeddedlinkrelation,
  v04_link_embeddedlinksarray,
  v04_link_linkend,
  v04_link_linkpath,
  v04_link_linkrelation,
  v04_link_linkstart,
];
/** CDEvents v0.5.1: event schemas, then the link schemas they reference. */
export const V05_EVENT_SCHEMAS: object[] = [
  v05_servicedeployed,
  v05_serviceupgraded,
  v05_servicerolledback,
  v05_changemerged,
  v05_changecreated,
  v05_pipelinerunfinished,
  v05_incidentdetected,
  v05_incidentreported,
  v05_incidentresolved,
];
export const V05_LINK_SCHEMAS: object[] = [
  v05_link_embeddedlinkend,
  v05_link_embeddedlinkpath,
  v05_link_embeddedlinkrelation,
  v05_link_embeddedlinksarray,
  v05_link_linkend,
  v05_link_linkpath,
  v05_link_linkrelation,
  v05_link_linkstart,
];
