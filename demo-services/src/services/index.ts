import type { ServiceDefinition } from '../lib/service.ts';
import { inventoryService } from './inventory.ts';
import { notificationService } from './notification.ts';
import { orchestratorService } from './orchestrator.ts';
import { orderService } from './order.ts';
import { paymentService } from './payment.ts';

export const SERVICE_DEFINITIONS = {
  order: orderService,
  orchestrator: orchestratorService,
  inventory: inventoryService,
  payment: paymentService,
  notification: notificationService,
} satisfies Record<string, ServiceDefinition>;
