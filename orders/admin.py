"""Admin for customers, orders and payments. Saves go through ``save()``, so they emit."""

from __future__ import annotations

from django.contrib import admin

from .models import Customer, Order, Payment


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "user"]
    search_fields = ["name", "email", "user__username"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ["amount", "method", "status", "reason", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["id", "customer", "status", "channel", "total", "created_at", "updated_at"]
    list_display_links = ["id", "customer"]
    list_filter = ["status", "channel", "created_at"]
    search_fields = ["customer__name", "customer__email"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "updated_at"]
    inlines = [PaymentInline]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["id", "order", "customer", "amount", "method", "status", "created_at"]
    list_filter = ["status", "method", "created_at"]
    search_fields = ["order__customer__name", "order__customer__email", "reason"]
    autocomplete_fields = ["order"]
    list_select_related = ["order__customer"]
    readonly_fields = ["created_at"]

    @admin.display(ordering="order__customer__name")
    def customer(self, payment: Payment) -> str:
        return payment.order.customer.name
