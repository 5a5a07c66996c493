/**
 * The inventory app's event types: the namespaces inventory/realtime.py registers
 * (products, inventory), their payloads, and the augmentation that adds them to
 * @omni-sales/realtime's `EventPayloads` and `NamespaceEvents` (docs/client.md).
 *
 * Kept equal to the catalogue and to inventory's payload builders by
 * tests/realtime/test_js_types.py. Money is a decimal string ("9.99").
 */

export interface ProductPayload {
  id: number;
  sku: string;
  name: string;
  price: string;
  isActive: boolean;
}

export interface ProductPriceChangedPayload extends ProductPayload {
  previousPrice: string;
}

export interface InventoryPayload {
  productId: number;
  sku: string;
  name: string;
  quantity: number;
  previousQuantity: number | null;
  threshold: number;
}

declare module "@omni-sales/realtime" {
  interface EventPayloads {
    "product:created": ProductPayload;
    "product:updated": ProductPayload;
    "product:price_changed": ProductPriceChangedPayload;
    "product:deleted": ProductPayload;
    "inventory:updated": InventoryPayload;
    "inventory:low_stock": InventoryPayload;
    "inventory:out_of_stock": InventoryPayload;
    "inventory:restocked": InventoryPayload;
  }

  interface NamespaceEvents {
    products: "product:created" | "product:updated" | "product:price_changed" | "product:deleted";
    inventory: "inventory:updated" | "inventory:low_stock" | "inventory:out_of_stock"
      | "inventory:restocked";
  }
}
